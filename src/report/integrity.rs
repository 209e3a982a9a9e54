//! Tamper evidence for JSON reports. A report carries the SHA-256 of its scenario's files, a
//! digest of its own content (everything but this block, as compact JSON) and, when the grader
//! ran with a secret key (`KUBEDRILL_REPORT_KEY`, e.g. a CI secret students cannot read), an
//! HMAC-SHA256 signature of that content. [`verify`] recomputes all three: an edited verdict,
//! score or seed changes the digest; an edited digest no longer matches the signature; an edited
//! scenario changes its hash.
//!
//! Without a key the digest only catches careless edits (anyone can recompute it): classrooms
//! should sign. HMAC and hex come from the `hmac` and `hex` crates, never by hand.
//!
//! Pure; never reads files or prints.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The integrity block of a JSON report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integrity {
    /// SHA-256 of the scenario folder's files (see `ScenarioDir::sha256`).
    pub scenario_sha256: String,
    /// SHA-256 of the report without this block, as compact JSON.
    pub content_sha256: String,
    /// HMAC-SHA256 of the same bytes with the grader's key, when one was given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub signature: Option<String>,
}

/// The HMAC-SHA256 (RFC 2104) of `message` under `key`. HMAC takes a key of any length (a longer
/// one is hashed first), so this is never `None`; the crate's API merely allows for MACs that
/// cannot.
fn mac(key: &[u8], message: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(message);
    Some(mac)
}

/// The signature of `message` under `key`: its HMAC-SHA256 as lowercase hex.
fn sign(key: &[u8], message: &[u8]) -> Option<String> {
    mac(key, message).map(|mac| hex::encode(mac.finalize().into_bytes()))
}

/// Whether `signature` is `message`'s under `key`, compared in constant time. [`seal`] writes
/// lowercase hex; anything else is not its signature.
fn signed(key: &[u8], message: &[u8], signature: &str) -> bool {
    let lowercase = !signature.bytes().any(|b| b.is_ascii_uppercase());
    match (mac(key, message), hex::decode(signature)) {
        (Some(mac), Ok(given)) if lowercase => mac.verify_slice(&given).is_ok(),
        _ => false,
    }
}

/// The bytes a report's digest and signature cover: the JSON without `integrity`, compact.
fn content(report: &Value) -> Vec<u8> {
    let mut body = report.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("integrity");
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The integrity block for a report (given as JSON without one).
#[must_use]
pub fn seal(report: &Value, scenario_sha256: String, key: Option<&[u8]>) -> Integrity {
    let bytes = content(report);
    Integrity {
        scenario_sha256,
        content_sha256: hex::encode(Sha256::digest(&bytes)),
        signature: key.and_then(|k| sign(k, &bytes)),
    }
}

/// Why a report does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Tampered {
    /// No integrity block.
    #[error("the report has no `integrity` block (was it written by `kubedrill grade -o json`?)")]
    Unsealed,
    /// The content changed after grading.
    #[error("the report was edited after grading: its content no longer matches `content_sha256`")]
    Content,
    /// The signature does not match (edited, or another key).
    #[error("the signature does not match: the report was edited or signed with another key")]
    Signature,
    /// A key was given but the report is not signed.
    #[error("the report is not signed, but a key was given")]
    Unsigned,
    /// The scenario's files differ from the ones graded against.
    #[error("the scenario `{id}` here differs from the one graded (files hash {found}, report says {expected})")]
    Scenario {
        /// Scenario id.
        id: String,
        /// Hash of the local scenario.
        found: String,
        /// Hash in the report.
        expected: String,
    },
}

/// Check a report: its content digest, its signature when `key` is given, and that
/// `local_scenario_sha256` (the scenario as the verifier has it, when known) matches.
pub fn verify(report: &Value, key: Option<&[u8]>, local_scenario_sha256: Option<&str>) -> Result<Integrity, Tampered> {
    let integrity: Integrity = report
        .get("integrity")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or(Tampered::Unsealed)?;
    let bytes = content(report);
    if hex::encode(Sha256::digest(&bytes)) != integrity.content_sha256 {
        return Err(Tampered::Content);
    }
    if let Some(key) = key {
        let given = integrity.signature.as_deref().ok_or(Tampered::Unsigned)?;
        if !signed(key, &bytes, given) {
            return Err(Tampered::Signature);
        }
    }
    if let Some(found) = local_scenario_sha256.filter(|f| *f != integrity.scenario_sha256) {
        return Err(Tampered::Scenario {
            id: report["scenario"]["id"].as_str().unwrap_or("?").to_owned(),
            found: found.to_owned(),
            expected: integrity.scenario_sha256.clone(),
        });
    }
    Ok(integrity)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Tampered, seal, sign, signed, verify};

    #[test]
    fn hmac_matches_rfc_4231_test_cases() {
        // Test case 1.
        assert_eq!(
            sign(&[0x0b; 20], b"Hi There").as_deref(),
            Some("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            sign(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First").as_deref(),
            Some("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        );
    }

    #[test]
    fn a_signature_verifies_only_as_written() {
        let signature = sign(b"key", b"message").expect("any key length");
        assert!(signed(b"key", b"message", &signature));
        assert!(!signed(b"key", b"message!", &signature));
        assert!(
            !signed(b"key", b"message", &signature.to_uppercase()),
            "seal writes lowercase"
        );
        assert!(!signed(b"key", b"message", &signature[..62]), "truncated");
        assert!(!signed(b"key", b"message", &format!("{signature}00")), "extended");
        assert!(!signed(b"key", b"message", "not hex"));
    }

    fn report() -> serde_json::Value {
        json!({"scenario": {"id": "s", "seed": 3}, "score": {"earned": 4, "possible": 10, "passed": false}})
    }

    fn sealed(key: Option<&[u8]>) -> serde_json::Value {
        let mut report = report();
        report["integrity"] = serde_json::to_value(seal(&report, "abc".into(), key)).expect("json");
        report
    }

    #[test]
    fn any_edit_is_detected_and_a_signature_needs_the_key() {
        let key: &[u8] = b"classroom secret";
        let signed = sealed(Some(key));
        assert!(verify(&signed, Some(key), Some("abc")).is_ok());
        // A student raises the score.
        let mut edited = signed.clone();
        edited["score"]["earned"] = json!(10);
        assert_eq!(verify(&edited, Some(key), None), Err(Tampered::Content));
        // ...and recomputes the digest: the signature gives it away.
        let digest = seal(&edited, "abc".into(), None).content_sha256;
        edited["integrity"]["content_sha256"] = json!(digest);
        assert!(
            verify(&edited, None, None).is_ok(),
            "without the key only the digest is checked"
        );
        assert_eq!(verify(&edited, Some(key), None), Err(Tampered::Signature));
        assert_eq!(verify(&signed, Some(b"another key"), None), Err(Tampered::Signature));
        assert_eq!(verify(&sealed(None), Some(key), None), Err(Tampered::Unsigned));
        assert!(matches!(
            verify(&signed, Some(key), Some("def")),
            Err(Tampered::Scenario { .. })
        ));
        assert_eq!(verify(&report(), None, None), Err(Tampered::Unsealed));
    }
}
