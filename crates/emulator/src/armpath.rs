//! Small, case-insensitive helpers over ARM resource IDs and request paths, written for the
//! emulator alone (the provider's typed IDs are deliberately not reused).

/// ARM compares IDs case-insensitively; the emulator keys its maps by this form.
pub fn lower(id: &str) -> String {
    id.trim_end_matches('/').to_ascii_lowercase()
}

/// Case-insensitive ID equality without allocating (look-ups scan thousands of IDs).
pub fn same_id(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

fn segments(id: &str) -> Vec<&str> {
    id.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

/// The subscription ID in `/subscriptions/{s}/...`.
pub fn subscription_of(id: &str) -> Option<String> {
    let s = segments(id);
    match s.as_slice() {
        [first, sub, ..] if first.eq_ignore_ascii_case("subscriptions") => Some((*sub).to_string()),
        _ => None,
    }
}

/// The resource group name in `/subscriptions/{s}/resourceGroups/{rg}/...`.
pub fn resource_group_of(id: &str) -> Option<String> {
    let s = segments(id);
    match s.as_slice() {
        [a, _, b, rg, ..]
            if a.eq_ignore_ascii_case("subscriptions")
                && b.eq_ignore_ascii_case("resourceGroups") =>
        {
            Some((*rg).to_string())
        }
        _ => None,
    }
}

/// `id` without its last `n` segments.
pub fn parent_of(id: &str, n: usize) -> String {
    let s = segments(id);
    let keep = s.len().saturating_sub(n);
    format!("/{}", s[..keep].join("/"))
}

/// The last segment (a resource's name).
pub fn last_segment(id: &str) -> String {
    segments(id)
        .last()
        .map(|s| (*s).to_string())
        .unwrap_or_default()
}

/// Whether `scope` is `ancestor` or lies below it (segment-wise, case-insensitive).
pub fn is_within(scope: &str, ancestor: &str) -> bool {
    let s = lower(scope);
    let a = lower(ancestor);
    s == a || (s.starts_with(&a) && s.as_bytes().get(a.len()) == Some(&b'/'))
}

/// Percent-decoded path segments of a request path.
pub fn request_segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// Glob match with `*` wildcards, case-insensitive; used by knob patterns.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    // Iterative wildcard matching with one backtrack point: linear in practice, no recursion.
    let (mut pi, mut ti, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_helpers() {
        let id = "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/disks/d1";
        assert_eq!(subscription_of(id).as_deref(), Some("S"));
        assert_eq!(resource_group_of(id).as_deref(), Some("RG"));
        assert_eq!(parent_of(id, 4), "/subscriptions/S/resourceGroups/RG");
        assert_eq!(last_segment(id), "d1");
        assert!(is_within(id, "/subscriptions/s/resourcegroups/rg"));
        assert!(!is_within(
            "/subscriptions/s/resourceGroups/rg2",
            "/subscriptions/s/resourceGroups/rg"
        ));
    }

    #[test]
    fn globs() {
        assert!(glob_match("*disk-2*", "/x/disks/DISK-2"));
        assert!(glob_match("bi-*", "bi-7"));
        assert!(!glob_match("bi-*", "xbi-7"));
        assert!(glob_match("*", ""));
    }
}
