const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const MAX_LABEL_LENGTH = 63;

// The grammar of an image reference as Docker parses it:
// [host[:port]/]path-component[/path-component...][:tag][@digest]
const HOST = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)`;
const COMPONENT = String.raw`[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*`;
const TAG = String.raw`(?::[\w][\w.-]{0,127})`;
const DIGEST = String.raw`(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})`;
const IMAGE_REFERENCE = new RegExp(`^${HOST}?${COMPONENT}(?:/${COMPONENT})*${TAG}?${DIGEST}?$`);
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
    return "may hold only lower-case letters, digits and '-', and must start and end with a letter or digit";
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
  if (!IMAGE_REFERENCE.test(image)) {
    return "is not a valid image reference (expected e.g. 'cares/hello-world:latest')";
  }
  return undefined;
}
