//! Request filters by method and path prefix, shared by injected faults and request counts.

/// `filter` is a method name (any case), or empty / `*` for any method.
pub fn method_matches(filter: &str, method: &str) -> bool {
    filter.is_empty() || filter == "*" || filter.eq_ignore_ascii_case(method)
}

/// `prefix` matches paths starting with it; `/v1/...` prefixes also match the Azure
/// `/openai/v1/...` form of the same path.
pub fn path_matches(prefix: &str, path: &str) -> bool {
    path.starts_with(prefix)
        || path
            .strip_prefix("/openai")
            .is_some_and(|rest| rest.starts_with(prefix))
}

/// Both filters match.
pub fn matches(method_filter: &str, path_prefix: &str, method: &str, path: &str) -> bool {
    method_matches(method_filter, method) && path_matches(path_prefix, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_prefix_matches_openai_and_azure_paths() {
        assert!(matches("POST", "/v1/files", "POST", "/v1/files"));
        assert!(matches("post", "/v1/files", "POST", "/openai/v1/files"));
        assert!(!matches("GET", "/v1/files", "POST", "/v1/files"));
        assert!(matches("*", "", "DELETE", "/v1/models"));
        assert!(!matches("", "/openai/v1/files", "POST", "/v1/files"));
    }
}
