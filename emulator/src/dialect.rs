//! The provider dialects the emulator speaks, and the path prefix each one is served under.

/// One provider's API, served under its own path prefix on the shared listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// OpenAI: `/v1/...` (and Azure OpenAI's `/openai/v1/...`).
    OpenAi,
    /// Together AI: `/together/v1/...`.
    Together,
    /// Fireworks AI: control plane `/fireworks/v1/accounts/{account}/...`, inference
    /// `/fireworks/inference/v1/...`.
    Fireworks,
    /// Nebius Token Factory: `/nebius/v1/...` and `/nebius/v0/models`.
    Nebius,
}

impl Dialect {
    /// Every dialect, OpenAI first.
    pub const ALL: [Dialect; 4] = [
        Dialect::OpenAi,
        Dialect::Together,
        Dialect::Fireworks,
        Dialect::Nebius,
    ];

    /// Path of the dialect's main API base (what a client's base URL ends with).
    pub fn base_path(self) -> &'static str {
        match self {
            Dialect::OpenAi => "/v1",
            Dialect::Together => "/together/v1",
            Dialect::Fireworks => "/fireworks/v1",
            Dialect::Nebius => "/nebius/v1",
        }
    }

    /// Path of the base that serves `/chat/completions` (differs only for Fireworks).
    pub fn inference_path(self) -> &'static str {
        match self {
            Dialect::Fireworks => "/fireworks/inference/v1",
            other => other.base_path(),
        }
    }

    /// Lower-case name, as used in logs and admin requests.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::OpenAi => "openai",
            Dialect::Together => "together",
            Dialect::Fireworks => "fireworks",
            Dialect::Nebius => "nebius",
        }
    }

    /// The dialect a request path belongs to.
    pub fn of_path(path: &str) -> Dialect {
        if path.starts_with("/together/") {
            Dialect::Together
        } else if path.starts_with("/fireworks/") {
            Dialect::Fireworks
        } else if path.starts_with("/nebius/") {
            Dialect::Nebius
        } else {
            Dialect::OpenAi
        }
    }

    /// Prefix of checkpoint ids (Nebius writes `ftckpt_…`, OpenAI `ftckpt-…`).
    pub fn checkpoint_prefix(self) -> &'static str {
        match self {
            Dialect::Nebius => "ftckpt_",
            _ => "ftckpt-",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_dialect() {
        assert_eq!(Dialect::of_path("/v1/files"), Dialect::OpenAi);
        assert_eq!(Dialect::of_path("/openai/v1/files"), Dialect::OpenAi);
        assert_eq!(
            Dialect::of_path("/together/v1/fine-tunes"),
            Dialect::Together
        );
        assert_eq!(
            Dialect::of_path("/fireworks/inference/v1/chat/completions"),
            Dialect::Fireworks
        );
        assert_eq!(Dialect::of_path("/nebius/v0/models"), Dialect::Nebius);
    }
}
