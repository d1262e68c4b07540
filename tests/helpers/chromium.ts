/**
 * Headless Chromium (Debian package `chromium`) driven over the DevTools
 * protocol with Deno's own WebSocket, for tests of the status page:
 * evaluate expressions in the page and take screenshots.
 *
 * @module
 */
import { join } from "node:path";

/** Where the Debian package installs Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Why Chromium tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  try {
    Deno.statSync(CHROMIUM);
    return undefined;
  } catch {
    return `${CHROMIUM} is not installed (apt-get install chromium)`;
  }
}

/** A page open in headless Chromium. */
export interface BrowserPage {
  /** Evaluates `expression` in the page and returns its (JSON) value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Saves a PNG screenshot of the whole page to `path`. */
  screenshot(path: string): Promise<void>;
  /** Closes the connection and the browser, and removes its profile. */
  close(): Promise<void>;
}

/** Opens `url` in a new headless Chromium. */
export async function openPage(url: string): Promise<BrowserPage> {
  const profile = await Deno.makeTempDir({ prefix: "auki-edge-chromium-" });
  const child = new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--hide-scrollbars",
      "--window-size=1280,1800",
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      url,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const cleanup = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };
  try {
    const port = await devtoolsPort(child.stderr);
    const socket = await pageSocket(port, url);
    return connect(socket, cleanup);
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Reads Chromium's standard error until it names its DevTools port. */
async function devtoolsPort(
  stderr: ReadableStream<Uint8Array>,
): Promise<number> {
  const decoder = new TextDecoder();
  let text = "";
  const reader = stderr.getReader();
  const timer = setTimeout(() => reader.cancel(), 20_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        throw new Error(`chromium did not open DevTools:\n${text}`);
      }
      text += decoder.decode(value, { stream: true });
      const match = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(text);
      if (match !== null) {
        // Keep draining so Chromium never blocks on a full pipe.
        reader.releaseLock();
        stderr.pipeTo(new WritableStream()).catch(() => {});
        return Number(match[1]);
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The DevTools WebSocket of the page showing `url`. */
async function pageSocket(port: number, url: string): Promise<WebSocket> {
  const until = Date.now() + 10_000;
  for (;;) {
    const targets: {
      type: string;
      url: string;
      webSocketDebuggerUrl: string;
    }[] = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const page = targets.find((t) =>
      t.type === "page" && t.url.startsWith(url)
    );
    if (page !== undefined) {
      const socket = new WebSocket(page.webSocketDebuggerUrl);
      await new Promise((resolve, reject) => {
        socket.onopen = resolve;
        socket.onerror = () => reject(new Error("DevTools socket failed"));
      });
      return socket;
    }
    if (Date.now() > until) throw new Error(`no page for ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Evaluated {
  result: { value?: unknown };
  exceptionDetails?: { text: string; exception?: { description?: string } };
}

function connect(socket: WebSocket, cleanup: () => Promise<void>): BrowserPage {
  let next = 1;
  const waiting = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    const pending = waiting.get(message.id);
    if (pending === undefined) return;
    waiting.delete(message.id);
    if (message.error) pending.reject(new Error(message.error.message));
    else pending.resolve(message.result);
  };
  const send = <T>(method: string, params: unknown) => {
    const id = next++;
    socket.send(JSON.stringify({ id, method, params }));
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
  };
  return {
    async evaluate<T>(expression: string): Promise<T> {
      const result = await send<Evaluated>("Runtime.evaluate", {
        expression,
        returnByValue: true,
        awaitPromise: true,
      });
      if (result.exceptionDetails) {
        throw new Error(
          `page threw: ${
            result.exceptionDetails.exception?.description ??
              result.exceptionDetails.text
          }`,
        );
      }
      return result.result.value as T;
    },
    async screenshot(path: string): Promise<void> {
      const { data } = await send<{ data: string }>("Page.captureScreenshot", {
        format: "png",
        captureBeyondViewport: true,
      });
      await Deno.mkdir(join(path, ".."), { recursive: true });
      await Deno.writeFile(
        path,
        Uint8Array.from(atob(data), (c) => c.charCodeAt(0)),
      );
    },
    async close(): Promise<void> {
      socket.close();
      await cleanup();
    },
  };
}
