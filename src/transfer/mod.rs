//! Import and export of training blocks as OpenAI chat JSONL, one `{"messages": [...]}` line per
//! block, exactly as the training data contract (`datasets::format`) writes it: an export can be
//! imported again. Imports are all or nothing and report each bad line by its number.

pub mod cli;
pub mod export;
pub mod graphql;
pub mod import;
mod lines;
mod parse;

use crate::error::Error;

/// Most line problems kept (and reported in detail) per import.
pub const MAX_REPORTED_PROBLEMS: usize = 100;
/// Problems quoted in the one-line error message.
const PROBLEMS_IN_MESSAGE: usize = 5;

/// A line of the file that cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    /// Line number, from 1.
    pub line: u64,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// The problems found in a file: the first [`MAX_REPORTED_PROBLEMS`] and how many in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems {
    /// The first problems, in line order.
    pub lines: Vec<LineProblem>,
    /// How many lines have a problem.
    pub total: u64,
}

impl Problems {
    /// Records a problem on line `line`.
    pub fn add(&mut self, line: u64, message: String) {
        self.total += 1;
        if self.lines.len() < MAX_REPORTED_PROBLEMS {
            self.lines.push(LineProblem { line, message });
        }
    }

    /// One message naming the first problems and the total.
    pub fn message(&self) -> String {
        let quoted: Vec<String> = self
            .lines
            .iter()
            .take(PROBLEMS_IN_MESSAGE)
            .map(|p| format!("line {}: {}", p.line, p.message))
            .collect();
        let count = match self.total {
            1 => "1 line has a problem".to_owned(),
            n => format!("{n} lines have problems"),
        };
        let more = if self.total > quoted.len() as u64 {
            "; ..."
        } else {
            ""
        };
        format!("nothing was imported: {count}. {}{more}", quoted.join("; "))
    }
}

/// Why an import did not happen.
#[derive(Debug)]
pub enum ImportError {
    /// Some lines are not valid blocks; nothing was imported.
    Invalid(Problems),
    /// Anything else: bad options, too many examples, database or I/O failures.
    Failed(Error),
}

impl From<Error> for ImportError {
    fn from(err: Error) -> Self {
        Self::Failed(err)
    }
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Failed(err.into())
    }
}
