//! Reading a JSONL file a line at a time, with line numbers and bytes read, so memory holds one
//! line whatever the file's size; an overlong or non-UTF-8 line becomes a problem of its own.

use tokio::fs::File;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, BufReader};

/// Longest line accepted, in bytes (a block's texts are far shorter).
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// What one line holds.
pub enum Line<'a> {
    /// Nothing but white space: not an example.
    Blank,
    /// The line's text, without its line break.
    Text(&'a str),
    /// A line that cannot be read as text, with why.
    Unreadable(String),
}

/// A JSONL file read line by line.
pub struct LineReader {
    reader: BufReader<File>,
    buffer: Vec<u8>,
    /// Number of the line last read, from 1.
    pub number: u64,
    /// Bytes read so far.
    pub bytes: u64,
}

impl LineReader {
    /// Reads `file` from its current position.
    pub fn new(file: File) -> Self {
        Self {
            reader: BufReader::new(file),
            buffer: Vec::new(),
            number: 0,
            bytes: 0,
        }
    }

    /// Starts over from the beginning of the file.
    pub async fn rewind(&mut self) -> std::io::Result<()> {
        self.reader.rewind().await?;
        self.number = 0;
        self.bytes = 0;
        Ok(())
    }

    /// The next line, or `None` at the end of the file.
    pub async fn next(&mut self) -> std::io::Result<Option<Line<'_>>> {
        self.buffer.clear();
        let limit = MAX_LINE_BYTES as u64 + 1;
        let read = (&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.buffer)
            .await?;
        if read == 0 {
            return Ok(None);
        }
        self.number += 1;
        self.bytes += read as u64;
        let ends = self.buffer.last() == Some(&b'\n');
        if self.buffer.len() - usize::from(ends) > MAX_LINE_BYTES {
            if !ends {
                self.bytes += skip_rest_of_line(&mut self.reader).await?;
            }
            return Ok(Some(Line::Unreadable(format!(
                "longer than {} MiB; a training example is far shorter",
                MAX_LINE_BYTES / (1024 * 1024)
            ))));
        }
        let text = match std::str::from_utf8(&self.buffer) {
            Ok(text) => text,
            Err(err) => {
                return Ok(Some(Line::Unreadable(format!(
                    "not UTF-8 text (invalid byte at column {}); save the file as UTF-8",
                    err.valid_up_to() + 1
                ))))
            }
        };
        let mut text = text.trim_end_matches(['\n', '\r']);
        if self.number == 1 {
            // Some editors start UTF-8 files with a byte order mark.
            text = text.trim_start_matches('\u{feff}');
        }
        if text.trim().is_empty() {
            return Ok(Some(Line::Blank));
        }
        Ok(Some(Line::Text(text)))
    }
}

/// Discards everything up to and including the next line break; returns how many bytes.
async fn skip_rest_of_line(reader: &mut BufReader<File>) -> std::io::Result<u64> {
    let mut skipped = 0;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(skipped);
        }
        let (used, done) = match available.iter().position(|b| *b == b'\n') {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        reader.consume(used);
        skipped += used as u64;
        if done {
            return Ok(skipped);
        }
    }
}
