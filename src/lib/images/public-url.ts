/**
 * Which URLs the service may download on a user's behalf: https only, no
 * credentials, and a host that is public, so that a reference image URL cannot
 * be used to make the service call something on a private network.
 *
 * The checks read `new URL(url).hostname`: the WHATWG URL parser has already
 * turned the other spellings of an address (`2130706433`, `0x7f.1`, `0177.0.0.1`,
 * `%6c%6fcalhost`, full-width letters, `[::ffff:127.0.0.1]`) into one canonical
 * form, so each address is checked once, as the fetch would see it.
 *
 * A DNS name that resolves to a private address cannot be caught here: a Worker
 * cannot resolve names. On Cloudflare that is no hole, because a Worker's fetch
 * goes out through Cloudflare's network and cannot reach private networks or the
 * machine it runs on. Under `wrangler dev` fetch runs on the developer's own
 * machine, where such a name would reach it; that is a development setup.
 */

/** Names that never lead to a public host (RFC 6761, RFC 6762, RFC 8375, ICANN's `.internal`). */
const LOCAL_NAME_SUFFIXES = ["localhost", "local", "internal", "home.arpa"];

/** IPv4 blocks that are not public: [first address, prefix length]. */
const NON_PUBLIC_IPV4: readonly (readonly [string, number])[] = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, where cloud metadata services live
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 3], // multicast (224/4), reserved (240/4) and broadcast
];

/**
 * Far longer than any image link (browsers and CDNs stop near 8 KB); a longer one would be carried
 * to the job for nothing (a 36 MB one broke the call to it).
 */
export const MAX_IMAGE_URL_CHARS = 16_384;

/** Why `url` may not be fetched (not https, credentials, a host that is not public), or undefined when it may. */
export function urlProblem(url: string): string | undefined {
  if (url.length > MAX_IMAGE_URL_CHARS)
    return `it is ${url.length} characters long; links of at most ${MAX_IMAGE_URL_CHARS} are downloaded`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "it is not a valid URL";
  }
  if (parsed.protocol !== "https:") return `only https: URLs can be downloaded, not ${parsed.protocol} ones`;
  if (parsed.username !== "" || parsed.password !== "") return "URLs with a user name or password are not downloaded";
  const host = hostProblem(parsed.hostname);
  if (host !== undefined) return host;
  // The default port only: any other would let a link probe a public host's other services.
  return parsed.port === "" ? undefined : `only the default https port is used, not ${parsed.port}`;
}

function hostProblem(hostname: string): string | undefined {
  if (hostname.startsWith("[")) {
    const groups = parseIPv6(hostname.slice(1, -1));
    return groups && isPublicIPv6(groups) ? undefined : `${hostname} is not a public address`;
  }
  const address = parseIPv4(hostname);
  if (address !== undefined) return isPublicIPv4(address) ? undefined : `${hostname} is not a public address`;
  const name = withoutTrailingDots(hostname); // "localhost." is localhost
  if (LOCAL_NAME_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`)))
    return `${hostname} is a local host name, not a public one`;
  // Public DNS names have a dot; a bare name is resolved against a local search domain.
  if (!name.includes(".")) return `${hostname} is not a public host name`;
  return undefined;
}

/** A dotted-quad IPv4 address (the only form the URL parser leaves) as a number, or undefined. */
function parseIPv4(text: string): number | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1).map(Number);
  if (octets.some((octet) => octet > 255)) return undefined;
  return octets.reduce((address, octet) => address * 256 + octet, 0);
}

function isPublicIPv4(address: number): boolean {
  return !NON_PUBLIC_IPV4.some(([first, prefix]) => {
    const base = parseIPv4(first) ?? 0;
    const blockSize = 2 ** (32 - prefix);
    return Math.floor(address / blockSize) === Math.floor(base / blockSize);
  });
}

/** An IPv6 address as its eight 16-bit groups, or undefined when it is not one. */
function parseIPv6(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groupsOf(halves[0] ?? "");
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? "") : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  return groups.map((group) => parseInt(group, 16));
}

/**
 * Public means global unicast (2000::/3); that alone refuses loopback `::1`, unspecified `::`,
 * link-local fe80::/10, unique-local fc00::/7 and multicast ff00::/8. Within it, the IETF's
 * special-purpose block 2001::/23 (Teredo, benchmarking, ORCHID…) and documentation 2001:db8::/32
 * are refused too. Addresses that carry an IPv4 address (mapped ::ffff:0:0/96, NAT64 64:ff9b::/96,
 * 6to4 2002::/16) are as public as it is.
 */
function isPublicIPv6(groups: readonly number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const lastIPv4 = g6 * 65536 + g7;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) return isPublicIPv4(lastIPv4);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return isPublicIPv4(lastIPv4);
  if (g0 === 0x2002) return isPublicIPv4(g1 * 65536 + g2);
  if (g0 === 0x2001 && (g1 < 0x200 || g1 === 0xdb8)) return false;
  return (g0 & 0xe000) === 0x2000;
}

/** The host name without its trailing dots, by a loop: a pattern anchored at the end retries at every dot. */
function withoutTrailingDots(name: string): string {
  let end = name.length;
  while (end > 0 && name.charAt(end - 1) === ".") end--;
  return name.slice(0, end);
}
