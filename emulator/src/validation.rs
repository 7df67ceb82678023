//! Training-file checks: a quick JSONL check at upload and OpenAI's chat-format rules at job validation.

use serde_json::{json, Map, Value};

/// Minimum number of examples OpenAI accepts.
pub const MIN_EXAMPLES: usize = 10;

/// What a provider requires of a chat training file beyond its JSON shape.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub min_examples: usize,
    /// System only first; user and assistant messages must alternate (Together).
    pub alternate: bool,
}

impl Rules {
    /// OpenAI's (and Nebius') rules.
    pub const OPENAI: Rules = Rules {
        min_examples: MIN_EXAMPLES,
        alternate: false,
    };
}

/// Why a job failed, as in the job's `error` field.
#[derive(Debug, Clone, PartialEq)]
pub struct JobError {
    pub code: String,
    pub message: String,
    pub param: Option<String>,
}

impl JobError {
    pub fn to_json(&self) -> Value {
        json!({"code": self.code, "message": self.message, "param": self.param})
    }
}

/// What validating a training file found.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub examples: usize,
    /// Characters of message content, for the approximate trained-token count.
    pub content_chars: usize,
    pub problem: Option<JobError>,
}

/// Upload-time check of a `fine-tune` file: UTF-8, and every non-blank line is JSON.
pub fn check_upload(bytes: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "Invalid file format: the file is not valid UTF-8 (at byte {}).",
            e.valid_up_to()
        )
    })?;
    if text.trim().is_empty() {
        return Err("Invalid file format: the file is empty.".to_owned());
    }
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if let Err(e) = serde_json::from_str::<Value>(line) {
            return Err(format!(
                "Invalid file format: line {} is not valid JSON ({e}).",
                index + 1
            ));
        }
    }
    Ok(())
}

/// Validates a chat fine-tuning file the way OpenAI does when a job starts.
pub fn analyse(bytes: &[u8]) -> Analysis {
    analyse_with(bytes, Rules::OPENAI)
}

/// Validates a chat fine-tuning file under a provider's `rules`.
pub fn analyse_with(bytes: &[u8], rules: Rules) -> Analysis {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return failed(format_error(
            "The training file is not valid UTF-8.".to_owned(),
        ));
    };
    let mut analysis = Analysis::default();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match check_example(line, rules.alternate) {
            Ok(chars) => {
                analysis.examples += 1;
                analysis.content_chars += chars;
            }
            Err(problem) => {
                let message = format!("Invalid file format. Line {}: {problem}.", index + 1);
                return failed(format_error(message));
            }
        }
    }
    let min = rules.min_examples;
    if analysis.examples < min {
        analysis.problem = Some(JobError {
            code: "invalid_n_examples".to_owned(),
            message: format!(
                "Training file has {} example(s), but must have at least {min} examples",
                analysis.examples
            ),
            param: Some("training_file".to_owned()),
        });
    }
    analysis
}

fn failed(problem: JobError) -> Analysis {
    Analysis {
        problem: Some(problem),
        ..Analysis::default()
    }
}

fn format_error(message: String) -> JobError {
    JobError {
        code: "invalid_file_format".to_owned(),
        message,
        param: Some("training_file".to_owned()),
    }
}

/// Checks one example line; returns its content character count.
fn check_example(line: &str, alternate: bool) -> Result<usize, String> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| format!("the line is not valid JSON ({e})"))?;
    let object = value.as_object().ok_or("the line is not a JSON object")?;
    let messages = object
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("the example has no `messages` array")?;
    let mut chars = 0;
    let mut has_assistant = false;
    let mut previous: Option<&str> = None;
    for (index, message) in messages.iter().enumerate() {
        let (role, content_chars) =
            check_message(message).map_err(|p| format!("message {} {p}", index + 1))?;
        if alternate {
            check_order(index, role, previous)?;
        }
        previous = Some(role);
        has_assistant |= role == "assistant";
        chars += content_chars;
    }
    if !has_assistant {
        return Err(
            "the example has no assistant message (each example needs at least one)".into(),
        );
    }
    Ok(chars)
}

// Together: a system message may only open the conversation, and user and assistant turns
// alternate.
fn check_order(index: usize, role: &str, previous: Option<&str>) -> Result<(), String> {
    if role == "system" && index > 0 {
        return Err(format!(
            "message {} is a system message; only the first message may be one",
            index + 1
        ));
    }
    if role != "system" && previous == Some(role) {
        return Err(format!(
            "messages {} and {} both have role `{role}`; user and assistant messages must alternate",
            index,
            index + 1
        ));
    }
    Ok(())
}

fn check_message(message: &Value) -> Result<(&str, usize), String> {
    let message: &Map<String, Value> = message.as_object().ok_or("is not a JSON object")?;
    let role = match message.get("role") {
        Some(Value::String(role)) => role.as_str(),
        _ => return Err("has no `role` string".into()),
    };
    if !["system", "user", "assistant"].contains(&role) {
        return Err(format!(
            "has role `{role}`; only system, user and assistant are supported"
        ));
    }
    let content = match message.get("content") {
        Some(Value::String(content)) => content,
        _ => return Err("has no `content` string".into()),
    };
    if let Some(weight) = message.get("weight") {
        let valid = role == "assistant" && matches!(weight.as_u64(), Some(0 | 1));
        if !valid {
            return Err(format!(
                "has `weight` {weight}; weight must be 0 or 1 and only on assistant messages"
            ));
        }
    }
    Ok((role, content.chars().count()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}"#;

    #[test]
    fn counts_examples_and_characters() {
        let file = format!("{}\n", [GOOD; 10].join("\n"));
        let analysis = analyse(file.as_bytes());
        assert_eq!(analysis.problem, None);
        assert_eq!(analysis.examples, 10);
        assert_eq!(analysis.content_chars, 70);
    }

    #[test]
    fn names_the_line_and_message_of_a_bad_role() {
        let bad = r#"{"messages":[{"role":"bot","content":"x"}]}"#;
        let analysis = analyse(format!("{GOOD}\n{bad}\n").as_bytes());
        let problem = analysis.problem.unwrap();
        assert_eq!(problem.code, "invalid_file_format");
        assert!(
            problem.message.contains("Line 2: message 1 has role `bot`"),
            "{}",
            problem.message
        );
    }

    #[test]
    fn upload_check_rejects_empty_files_and_names_bad_lines() {
        assert!(check_upload(b"\n").is_err());
        let error = check_upload(format!("{GOOD}\n\n{{bad\n").as_bytes()).unwrap_err();
        assert!(error.contains("line 3"), "{error}");
    }

    #[test]
    fn alternation_is_checked_only_when_asked() {
        let twice = r#"{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":"c"}]}"#;
        let rules = Rules {
            min_examples: 1,
            alternate: true,
        };
        let problem = analyse_with(twice.as_bytes(), rules).problem.unwrap();
        assert!(
            problem.message.contains("must alternate"),
            "{}",
            problem.message
        );
        let lenient = Rules {
            alternate: false,
            ..rules
        };
        assert_eq!(analyse_with(twice.as_bytes(), lenient).problem, None);
    }

    #[test]
    fn rejects_weight_on_user_messages() {
        let bad = r#"{"messages":[{"role":"user","content":"x","weight":1},{"role":"assistant","content":"y"}]}"#;
        assert!(analyse(bad.as_bytes()).problem.is_some());
    }
}
