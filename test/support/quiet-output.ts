/**
 * Keeps `npm test` output to what needs reading. The tests provoke failures on
 * purpose (an upstream that drops the connection, a reference image on a host
 * that does not exist, a client that aborts its upload), and two things report
 * them although nothing is wrong: workerd itself, which prints each such
 * network failure as an "uncaught exception" even when the Worker catches it
 * (checked with a bare `try { await fetch(…) } catch {}`), and the Worker's own
 * log line for the event. Those lines, and only those, are dropped; anything
 * else workerd or the Worker prints still shows.
 */

/** workerd's reports of the network failures the tests cause. */
const EXPECTED_RUNTIME_REPORTS = [
  "disconnected: client error (SendRequest)", // the stand-in's `network` fault closes the socket
  "Error: Network connection lost.", // …and the uncaught-exception report that follows it
  "read end of pipe was aborted", // a test aborts its upload
];
/** A failed DNS lookup (a test's unresolvable host) is reported, then referred to by its id. */
const LOOKUP_FAILED = /failed to lookup address information.*wdErrId = (\w+)/s;

/** The Worker's log events that tests cause on purpose; `unexpected_error` is never among them. */
const EXPECTED_LOG_EVENTS = new Set([
  "job", // one line per job, by design
  "upstream_unreachable",
  "image_url_unreachable",
  "images_binding_failed",
  "request_aborted",
  "job_record_failed",
]);

/** For vitest's `onConsoleLog`: false drops a Worker log line a test caused on purpose. */
export function showConsoleLog(log: string): boolean {
  const event = /^\{"event":"(\w+)"/.exec(log.trim())?.[1];
  return event === undefined || !EXPECTED_LOG_EVENTS.has(event);
}

/** Filters what the Cloudflare plugin relays from workerd to this process's stdout and stderr. */
export function dropExpectedRuntimeReports(): void {
  const failedLookups = new Set<string>();
  const expected = (text: string): boolean => {
    const lookup = LOOKUP_FAILED.exec(text);
    if (lookup?.[1]) {
      failedLookups.add(lookup[1]);
      return true;
    }
    const reference = /reference = (\w+)/.exec(text)?.[1];
    if (reference !== undefined && failedLookups.has(reference)) return true;
    return EXPECTED_RUNTIME_REPORTS.some((report) => text.includes(report));
  };
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = (chunk: unknown, ...rest: unknown[]) =>
      typeof chunk === "string" && expected(chunk) ? true : write(chunk, ...rest);
  }
}
