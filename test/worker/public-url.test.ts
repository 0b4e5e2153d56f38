import { describe, expect, it } from "vitest";
import { urlProblem } from "../../src/lib/images/public-url.ts";

describe("which image URLs the service will download", () => {
  it.each([
    "https://images.example.com/cat.jpg",
    "https://images.example.com:443/cat.webp?size=large#top",
    "https://8.8.8.8/cat.png",
    "https://172.32.0.1/just-past-172.16.0.0/12",
    "https://100.128.0.1/just-past-carrier-grade-nat",
    "https://198.20.0.1/just-past-benchmarking",
    "https://223.255.255.255/just-below-multicast",
    "https://[2606:4700:4700::1111]/cat.png",
    "https://[::ffff:8.8.8.8]/a-public-ipv4-mapped",
    "https://[2002:808:808::1]/6to4-of-a-public-ipv4",
  ])("downloads %s", (url) => {
    expect(urlProblem(url)).toBeUndefined();
  });

  it.each([
    ["http://images.example.com/cat.jpg", "only https: URLs can be downloaded, not http: ones"],
    ["data:image/png;base64,iVBORw0KGgo=", "only https: URLs can be downloaded, not data: ones"],
    ["file:///etc/passwd", "only https: URLs can be downloaded, not file: ones"],
    ["ftp://images.example.com/cat.jpg", "only https: URLs can be downloaded, not ftp: ones"],
    ["javascript:alert(1)", "only https: URLs can be downloaded, not javascript: ones"],
    ["cat.jpg", "it is not a valid URL"],
    ["", "it is not a valid URL"],
    ["https://", "it is not a valid URL"],
    ["https://user:secret@images.example.com/cat.jpg", "URLs with a user name or password are not downloaded"],
    ["https://user@images.example.com/cat.jpg", "URLs with a user name or password are not downloaded"],
    ["https://images.example.com:8443/cat.jpg", "only the default https port is used, not 8443"],
    ["https://8.8.8.8:6379/", "only the default https port is used, not 6379"],
    ["https://[2001:db8::1]/documentation", "[2001:db8::1] is not a public address"],
    ["https://[2001::53aa:64c:0:0]/teredo", "[2001::53aa:64c:0:0] is not a public address"],
  ])("refuses %s: %s", (url, problem) => {
    expect(urlProblem(url)).toBe(problem);
  });

  it.each([
    ["https://localhost/cat.jpg", "localhost"],
    ["https://LOCALHOST:8787/cat.jpg", "localhost"],
    ["https://localhost./cat.jpg", "localhost."],
    ["https://api.localhost/cat.jpg", "api.localhost"],
    ["https://printer.local/cat.jpg", "printer.local"],
    ["https://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal"],
    ["https://nas.home.arpa/cat.jpg", "nas.home.arpa"],
    ["https://%6c%6fcalhost/cat.jpg", "localhost"],
    ["https://ｌｏｃａｌｈｏｓｔ/cat.jpg", "localhost"],
  ])("refuses the local host name in %s", (url, host) => {
    expect(urlProblem(url)).toBe(`${host} is a local host name, not a public one`);
  });

  it("refuses a bare host name, which only a local search domain could resolve", () => {
    expect(urlProblem("https://intranet/cat.jpg")).toBe("intranet is not a public host name");
  });

  it.each([
    ["https://0.0.0.0/", "0.0.0.0"],
    ["https://10.1.2.3/", "10.1.2.3"],
    ["https://127.0.0.1/", "127.0.0.1"],
    ["https://127.255.255.254/", "127.255.255.254"],
    ["https://169.254.169.254/latest/meta-data/", "169.254.169.254"],
    ["https://172.16.0.1/", "172.16.0.1"],
    ["https://172.31.255.255/", "172.31.255.255"],
    ["https://192.168.1.1/", "192.168.1.1"],
    ["https://100.64.0.1/", "100.64.0.1"],
    ["https://100.127.255.255/", "100.127.255.255"],
    ["https://192.0.0.8/", "192.0.0.8"],
    ["https://198.18.0.1/", "198.18.0.1"],
    ["https://198.19.255.255/", "198.19.255.255"],
    ["https://192.0.2.1/", "192.0.2.1"],
    ["https://198.51.100.1/", "198.51.100.1"],
    ["https://203.0.113.1/", "203.0.113.1"],
    ["https://224.0.0.1/", "224.0.0.1"],
    ["https://239.255.255.250/", "239.255.255.250"],
    ["https://240.0.0.1/", "240.0.0.1"],
    ["https://255.255.255.255/", "255.255.255.255"],
    // Other spellings of 127.0.0.1 and 10.0.0.1, which the URL parser turns into the dotted form.
    ["https://2130706433/", "127.0.0.1"],
    ["https://0x7f000001/", "127.0.0.1"],
    ["https://0x7f.1/", "127.0.0.1"],
    ["https://0177.0.0.1/", "127.0.0.1"],
    ["https://127.1/", "127.0.0.1"],
    ["https://%31%32%37.0.0.1/", "127.0.0.1"],
    ["https://012.0.0.1/", "10.0.0.1"],
    ["https://167772161/", "10.0.0.1"],
  ])("refuses %s, which is %s", (url, address) => {
    expect(urlProblem(url)).toBe(`${address} is not a public address`);
  });

  it.each([
    ["https://[::1]/", "[::1]"],
    ["https://[0:0:0:0:0:0:0:1]/", "[::1]"],
    ["https://[::]/", "[::]"],
    ["https://[fe80::1]/", "[fe80::1]"],
    ["https://[febf:ffff::1]/", "[febf:ffff::1]"],
    ["https://[fc00::1]/", "[fc00::1]"],
    ["https://[fd12:3456:789a::1]/", "[fd12:3456:789a::1]"],
    ["https://[ff02::1]/", "[ff02::1]"],
    ["https://[::ffff:127.0.0.1]/", "[::ffff:7f00:1]"],
    ["https://[::ffff:10.0.0.1]/", "[::ffff:a00:1]"],
    ["https://[::ffff:169.254.169.254]/", "[::ffff:a9fe:a9fe]"],
    ["https://[::127.0.0.1]/", "[::7f00:1]"],
    ["https://[64:ff9b::192.168.0.1]/", "[64:ff9b::c0a8:1]"],
    ["https://[2002:c0a8:101::1]/", "[2002:c0a8:101::1]"],
  ])("refuses the IPv6 address %s", (url, address) => {
    expect(urlProblem(url)).toBe(`${address} is not a public address`);
  });
});
