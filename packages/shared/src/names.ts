const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const MAX_LABEL_LENGTH = 63;

// The grammar of an image reference as Docker parses it:
// [host[:port]/]path-component[/path-component...][:tag][@digest]
const DOMAIN_LABEL = String.raw`[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?`;
const HOST = String.raw`(?:${DOMAIN_LABEL}(?:\.${DOMAIN_LABEL})*(?::[0-9]+)?/)`;
const COMPONENT = String.raw`[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*`;
const TAG = String.raw`(?::[\w][\w.-]{0,127})`;
const DIGEST = String.raw`(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})`;
const IMAGE_REFERENCE = new RegExp(`^${HOST}?${COMPONENT}(?:/${COMPONENT})*${TAG}?${DIGEST}?$`);
const PATH_ONLY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*${TAG}?${DIGEST}?$`);
const MAX_IMAGE_LENGTH = 255;

/**
 * Checks a function or node name: a DNS label, that is lower-case letters, digits and
 * `-`, 1 to 63 characters, starting and ending with a letter or digit.
 * Returns what is wrong, or undefined when the name is valid.
 */
export function checkName(name: unknown): string | undefined {
  if (typeof name !== "string") return "must be a string";
  if (name.length === 0) return "must not be empty";
  if (name.length > MAX_LABEL_LENGTH) {
    return `must be at most ${MAX_LABEL_LENGTH} characters (got ${name.length})`;
  }
  if (!DNS_LABEL.test(name)) {
    return (
      "may hold only lower-case letters, digits and '-', " +
      "and must start and end with a letter or digit"
    );
  }
  return undefined;
}

/**
 * Checks a Docker image reference such as `cares/hello-world:latest` or
 * `registry.example:5000/team/app@sha256:...`.
 * Returns what is wrong, or undefined when the reference is valid.
 */
export function checkImageReference(image: unknown): string | undefined {
  if (typeof image !== "string") return "must be a string";
  if (image.length === 0) return "must not be empty";
  if (image.length > MAX_IMAGE_LENGTH) {
    return `must be at most ${MAX_IMAGE_LENGTH} characters (got ${image.length})`;
  }
  const invalid = "is not a valid image reference (expected e.g. 'cares/hello-world:latest')";
  // As Docker reads it, the first part names a registry only when it has a '.' or a
  // port, or is 'localhost'; otherwise the whole reference is a lower-case path.
  const slash = image.indexOf("/");
  const first = slash === -1 ? "" : image.slice(0, slash);
  const isHost = first.includes(".") || first.includes(":") || first === "localhost";
  if (!(isHost ? IMAGE_REFERENCE : PATH_ONLY).test(image)) return invalid;
  const port = isHost ? /:(\d+)$/.exec(first)?.[1] : undefined;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    return "names a registry port outside 1 to 65535";
  }
  return undefined;
}
