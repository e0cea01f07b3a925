import Dispatch
import Foundation

/// Turns SIGINT (Ctrl-C) and SIGTERM into a cancellation the command can finish cleanly: the
/// first one calls `onSignal` (which cancels the work, so the gate records where it stopped and
/// the command says so); a second one ends the process at once with 130.
final class SignalTrap: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let lock = NSLock()
    private var received = 0

    init(_ signals: [Int32] = [SIGINT, SIGTERM], onSignal: @escaping @Sendable (Int32) -> Void) {
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)  // handled by the source below instead of killing the process
            sources.append(DispatchSource.makeSignalSource(signal: number, queue: .global()))
        }
        self.sources = sources
        for (source, number) in zip(sources, signals) {
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                self.received += 1
                let count = self.received
                self.lock.unlock()
                if count > 1 {
                    FileHandle.standardError.write(Data("\nInterrupted again: stopping now. `kling-ledger sync` finishes what was under way.\n".utf8))
                    exit(ExitStatus.interrupted.rawValue)
                }
                FileHandle.standardError.write(Data("\nInterrupted: recording where the submission stands (interrupt again to stop at once)…\n".utf8))
                onSignal(number)
            }
            source.resume()
        }
    }

    /// Restores the default handling.
    func release() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
