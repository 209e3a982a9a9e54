//! Container images kubedrill pins. Scenario templates see them as `{{ images.<name> }}`, so a
//! bump happens here once, not in every manifest.

/// agnhost: HTTP/UDP test server (`netexec`), `connect`, `dig`, `curl` for probes.
pub const AGNHOST: &str = "registry.k8s.io/e2e-test-images/agnhost:2.53";

/// Every pinned image as the `images` template value.
#[must_use]
pub fn as_template_value() -> serde_json::Value {
    serde_json::json!({ "agnhost": AGNHOST })
}
