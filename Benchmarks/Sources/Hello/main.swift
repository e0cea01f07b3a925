import Foundation

// The smallest Swift + Foundation program: what a process costs before any of our code runs.
print("hello, \(ProcessInfo.processInfo.processName)")
