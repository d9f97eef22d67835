import { describe, expect, it } from "vitest";
import { checkImageReference, checkName } from "../src/names.js";

describe("checkName", () => {
  it.each(["a", "hello-world", "w1", "0", "a-b-c", "x".repeat(63)])("accepts %j", (name) => {
    expect(checkName(name)).toBeUndefined();
  });

  it.each([
    ["Hello", "upper case"],
    ["-start", "a leading dash"],
    ["end-", "a trailing dash"],
    ["under_score", "an underscore"],
    ["dot.ted", "a dot"],
    ["sp ace", "a space"],
    ["héllo", "a non-ASCII letter"],
    ["a/b", "a slash"],
  ])("refuses %j (%s)", (name) => {
    expect(checkName(name)).toMatch(/lower-case letters, digits and '-'/);
  });

  it("refuses the empty string", () => {
    expect(checkName("")).toBe("must not be empty");
  });

  it("refuses names longer than 63 characters and says how long they were", () => {
    expect(checkName("x".repeat(64))).toBe("must be at most 63 characters (got 64)");
  });

  it.each([undefined, null, 42, {}, ["a"]])("refuses the non-string %j", (value) => {
    expect(checkName(value)).toBe("must be a string");
  });
});

describe("checkImageReference", () => {
  it.each([
    "alpine",
    "alpine:3.20",
    "cares/hello-world:latest",
    "library/ubuntu:22.04",
    "ghcr.io/owner/app:v1.2.3",
    "localhost:5000/app",
    "registry.example:5000/team/app@sha256:" + "a".repeat(64),
    "team/app:1.0@sha256:" + "0123456789abcdef".repeat(4),
    "my_app",
    "my__app",
    "my--app",
    "a.b/c_d/e-f:Tag_1.x",
  ])("accepts %j", (image) => {
    expect(checkImageReference(image)).toBeUndefined();
  });

  it.each([
    "Alpine",
    "team/App",
    "app:",
    ":latest",
    "app:-tag",
    "app:" + "t".repeat(129),
    "/app",
    "app/",
    "team//app",
    "app@sha256:abc",
    "app name",
    "app_",
    "app___x",
  ])("refuses %j", (image) => {
    expect(checkImageReference(image)).toMatch(/is not a valid image reference/);
  });

  it("accepts a tag of exactly 128 characters", () => {
    expect(checkImageReference("app:" + "t".repeat(128))).toBeUndefined();
  });

  it("refuses the empty string", () => {
    expect(checkImageReference("")).toBe("must not be empty");
  });

  it("refuses references longer than 255 characters", () => {
    expect(checkImageReference("a".repeat(256))).toBe("must be at most 255 characters (got 256)");
    expect(checkImageReference("a".repeat(255))).toBeUndefined();
  });

  it.each([undefined, null, 1, { image: "alpine" }])("refuses the non-string %j", (value) => {
    expect(checkImageReference(value)).toBe("must be a string");
  });
});

describe("checkImageReference reads the first part as Docker does", () => {
  it.each(["UPPER/case", "Team/app:1"])("refuses upper case in a path: %s", (image) => {
    expect(checkImageReference(image)).toMatch(/not a valid image reference/);
  });

  it.each(["Registry.Example:5000/team/app", "localhost/app", "localhost:5000/app:1"])(
    "accepts a registry host: %s",
    (image) => {
      expect(checkImageReference(image)).toBeUndefined();
    },
  );

  it("refuses a registry port past 65535", () => {
    expect(checkImageReference("localhost:99999/x")).toBe(
      "names a registry port outside 1 to 65535",
    );
  });
});
