//! Kubernetes name and label syntax (DNS-1123 labels, qualified names, label values).
//!
//! Pure string checks shared by the check vocabulary and the scenario loader. They return a
//! reason, never print.

/// Longest DNS-1123 label (namespaces, Services, most object names' segments).
pub const DNS1123_LABEL_MAX: usize = 63;
/// Longest DNS-1123 subdomain (most object names).
pub const DNS1123_SUBDOMAIN_MAX: usize = 253;

fn is_alnum_lower(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// A DNS-1123 label: lowercase alphanumerics and `-`, starting and ending alphanumeric, <= 63.
pub fn check_dns1123_label(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > DNS1123_LABEL_MAX {
        return Err(format!("`{name}` must be 1-{DNS1123_LABEL_MAX} characters"));
    }
    let ok_chars = name.chars().all(|c| is_alnum_lower(c) || c == '-');
    let ok_ends = name.starts_with(is_alnum_lower) && name.ends_with(is_alnum_lower);
    if ok_chars && ok_ends {
        Ok(())
    } else {
        Err(format!(
            "`{name}` must be lowercase letters, digits and `-`, starting and ending with a letter or digit"
        ))
    }
}

/// A DNS-1123 subdomain: dot-separated labels, <= 253 characters.
pub fn check_dns1123_subdomain(name: &str) -> Result<(), String> {
    if name.len() > DNS1123_SUBDOMAIN_MAX {
        return Err(format!("`{name}` is longer than {DNS1123_SUBDOMAIN_MAX} characters"));
    }
    name.split('.').try_for_each(check_dns1123_label)
}

/// A path-segment name, as RBAC objects (`Role`, `ClusterRole` and their bindings) use
/// (`system:coredns`, `kubeadm:node-proxier`): anything but `.`, `..`, `/` and `%`
/// (apimachinery's `path.IsValidPathSegmentName`, which `pkg/apis/rbac/validation` applies).
pub fn check_path_segment_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(format!("`{name}` is not a valid name"));
    }
    if name.contains(['/', '%']) {
        return Err(format!("`{name}` may not contain `/` or `%`"));
    }
    Ok(())
}

fn check_label_name_part(part: &str, what: &str) -> Result<(), String> {
    let ok_len = !part.is_empty() && part.len() <= 63;
    let ok_chars = part
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let ok_ends =
        part.starts_with(|c: char| c.is_ascii_alphanumeric()) && part.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok_len && ok_chars && ok_ends {
        Ok(())
    } else {
        Err(format!(
            "{what} `{part}` must be 1-63 alphanumerics, `-`, `_` or `.`, starting and ending alphanumeric"
        ))
    }
}

/// A label key: an optional DNS subdomain prefix and `/`, then a name.
pub fn check_label_key(key: &str) -> Result<(), String> {
    match key.split_once('/') {
        Some((prefix, name)) => {
            check_dns1123_subdomain(prefix).map_err(|e| format!("label key prefix: {e}"))?;
            check_label_name_part(name, "label key")
        }
        None => check_label_name_part(key, "label key"),
    }
}

/// A label value: empty, or like a label key's name part.
pub fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        Ok(())
    } else {
        check_label_name_part(value, "label value")
    }
}

/// A port name (`IANA_SVC_NAME`): <= 15 lowercase alphanumerics and `-`, at least one letter,
/// no leading, trailing or doubled `-`.
pub fn check_port_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 15
        && name.chars().all(|c| is_alnum_lower(c) || c == '-')
        && name.chars().any(|c| c.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "port name `{name}` must be 1-15 lowercase letters, digits and single `-`, with at least one letter"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::{check_dns1123_label, check_dns1123_subdomain, check_label_key, check_label_value, check_port_name};

    #[test]
    fn dns_labels() {
        for ok in ["a", "web", "shop-7x", "0abc"] {
            assert!(check_dns1123_label(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Web", "-web", "web-", "a_b", "a.b", &"x".repeat(64)] {
            assert!(check_dns1123_label(bad).is_err(), "{bad}");
        }
        assert!(check_dns1123_subdomain("kube-dns.kube-system").is_ok());
        assert!(check_dns1123_subdomain("a..b").is_err());
    }

    #[test]
    fn label_keys_and_values() {
        for ok in ["app", "app.kubernetes.io/name", "kubernetes.io/metadata.name", "A_b"] {
            assert!(check_label_key(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/app", "app/", "-app", "Example.com/app", "a/b/c"] {
            assert!(check_label_key(bad).is_err(), "{bad}");
        }
        assert!(check_label_value("").is_ok());
        assert!(check_label_value("v1.2_x").is_ok());
        assert!(check_label_value("no spaces").is_err());
    }

    #[test]
    fn port_names() {
        for ok in ["http", "web-8080", "dns-tcp", "h2c"] {
            assert!(check_port_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "8080", "HTTP", "-http", "a--b", "sixteen-chars-xx"] {
            assert!(check_port_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rbac_names_are_path_segments() {
        for ok in ["system:coredns", "kubeadm:node-proxier", "Admin_Role"] {
            assert!(super::check_path_segment_name(ok).is_ok(), "{ok}");
            assert!(super::check_dns1123_subdomain(ok).is_err(), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "50%"] {
            assert!(super::check_path_segment_name(bad).is_err(), "{bad}");
        }
    }
}
