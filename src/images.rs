//! Container images kubedrill pins. Scenario templates see them as `{{ images.<name> }}`, so a
//! bump happens here once, not in every manifest.

/// agnhost: HTTP/UDP test server (`netexec`), `connect`, `dig`, `curl` for probes.
pub const AGNHOST: &str = "registry.k8s.io/e2e-test-images/agnhost:2.53";

/// The image of kubedrill's probe pods: [`AGNHOST`] pinned by the digest of its multi-arch
/// index, so a look-alike image pushed under the same tag is told apart (the probe pod check
/// compares the running container's `imageID` with it). The digest is the one upstream
/// Kubernetes projects pin 2.53 by (kubernetes-sigs/kueue `hack/e2e-common.sh`,
/// `E2E_TEST_AGNHOST_IMAGE`). Scenario manifests keep the tag: kind loads a preloaded image
/// under its tag only, and a pod naming a digest pulls from the registry.
pub const PROBE_IMAGE: &str = "registry.k8s.io/e2e-test-images/agnhost:2.53@sha256:99c6b4bb4a1e1df3f0b3752168c89358794d02258ebebc26bf21c29399011a85";

/// The `sha256:<hex>` digest an image reference is pinned by, if it is.
#[must_use]
pub fn digest(image: &str) -> Option<&str> {
    image.rsplit_once('@').map(|(_, digest)| digest).filter(|d| {
        d.strip_prefix("sha256:")
            .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

/// Every pinned image as the `images` template value.
#[must_use]
pub fn as_template_value() -> serde_json::Value {
    serde_json::json!({ "agnhost": AGNHOST })
}

#[cfg(test)]
mod tests {
    use super::{AGNHOST, PROBE_IMAGE, digest};

    #[test]
    fn the_probe_image_is_agnhost_pinned_by_digest() {
        assert_eq!(PROBE_IMAGE.split_once('@').map(|(tagged, _)| tagged), Some(AGNHOST));
        assert_eq!(
            digest(PROBE_IMAGE),
            Some("sha256:99c6b4bb4a1e1df3f0b3752168c89358794d02258ebebc26bf21c29399011a85")
        );
        assert_eq!(digest(AGNHOST), None);
        assert_eq!(digest("r/x@sha256:abc"), None, "not a full sha256");
    }
}
