#!/usr/bin/env python3
"""Loads dashboard pages in a real headless Chromium, through the DevTools protocol (a small
WebSocket client of its own, so nothing beyond Python's standard library is needed), and
checks each page at a laptop's and a phone's width: no console error, the charts it must
have, nothing wider than the viewport. Saves a screenshot of each.

    check_pages.py CHROMIUM BASE_URL OUT_DIR PAGE=MIN_CHARTS ...

Exits 1, saying what failed, if any check fails.
"""
import base64, hashlib, json, os, shutil, socket, struct, subprocess, sys, tempfile, time, urllib.request

class DevTools:
    def __init__(self, url):
        host_port, path = url[len("ws://"):].split("/", 1)
        host, port = host_port.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += self.sock.recv(4096)
        head, self.buffer = answer.split(b"\r\n\r\n", 1)
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        if b" 101 " not in head.split(b"\r\n")[0] or accept.encode() not in head:
            raise RuntimeError("no WebSocket upgrade: " + head.decode(errors="replace"))
        self.next_id = 0
        self.events = []

    def _send(self, text):
        data = text.encode()
        header = bytes([0x81])
        mask = os.urandom(4)
        if len(data) < 126:
            header += bytes([0x80 | len(data)])
        elif len(data) < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(data))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(data))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("DevTools closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _receive(self):
        message = b""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(length)
            message += payload
            if first & 0x80:
                return json.loads(message)

    def call(self, method, **params):
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for index, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(index)
            self.events.append(self._receive())
        raise RuntimeError(f"timed out waiting for {method}")


def main():
    chromium, base, out = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
    pages = [argument.split("=") for argument in sys.argv[4:]]
    os.makedirs(out, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="dashboard-chromium-")
    browser = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    failures = []
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.1)
        port = open(port_file).read().split("\n")[0].strip()
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t.get("type") == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log"):
            tools.call(f"{domain}.enable")
        for path, minimum in pages:
            for device, width, height, mobile in (("laptop", 1280, 900, False), ("phone", 390, 844, True)):
                tools.events.clear()
                tools.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)
                tools.call("Page.navigate", url=base + path)
                tools.wait_for("Page.loadEventFired")
                time.sleep(0.3)
                # Drain what arrived after the load.
                tools.call("Runtime.evaluate", expression="1")
                errors = [e for e in tools.events if e.get("method") == "Runtime.exceptionThrown"
                          or (e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") in ("error", "assert"))
                          or (e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error")]
                facts = json.loads(tools.call("Runtime.evaluate", returnByValue=True, expression=
                    "JSON.stringify({charts: document.querySelectorAll('svg.chart').length, scroll: document.documentElement.scrollWidth,"
                    " inner: window.innerWidth, title: document.title, h1: (document.querySelector('h1')||{}).textContent || ''})")["result"]["value"])
                shot = tools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
                name = (path.strip("/").replace("/", "-").split("?")[0] or "overview") + f"-{device}.png"
                with open(os.path.join(out, name), "wb") as file:
                    file.write(base64.b64decode(shot["data"]))
                label = f"{path} at {device} width"
                if errors:
                    failures.append(f"{label}: console errors: {[json.dumps(e['params'])[:300] for e in errors]}")
                if facts["charts"] < int(minimum):
                    failures.append(f"{label}: {facts['charts']} charts, expected at least {minimum}")
                if facts["scroll"] > facts["inner"]:
                    failures.append(f"{label}: the page is {facts['scroll']} px wide in a {facts['inner']} px viewport")
                if not facts["h1"]:
                    failures.append(f"{label}: no heading (title {facts['title']!r})")
                print(f"checked {label}: {facts['charts']} charts, {facts['scroll']}/{facts['inner']} px, {len(errors)} errors -> {name}")
    finally:
        browser.terminate()
        browser.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)  # the throwaway Chromium profile
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
