//! A span-preserving RON parser: turns a file into a tree of values that remember
//! exactly where each came from, down to every character of every string.
//!
//! serde drops source positions, so the story loader reads this tree instead and maps
//! it to the typed model by hand; that is what lets a diagnostic point at the exact
//! token, even inside an expression string. The grammar is RON's: structs `Name(a: 1)`,
//! tuples `(1, 2)`, lists `[..]`, maps `{k: v}`, strings (with escapes and raw
//! strings), integers, floats, booleans, characters, `//` and `/* */` comments.

use super::diagnostic::{Code, Diagnostic};
use super::source::{FileId, Span};
pub use bumpalo::Bump as Arena;

/// The largest file the loader reads.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;
/// The deepest nesting of brackets the loader accepts (guards the stack).
pub const MAX_DEPTH: usize = 64;

/// A parsed value and where it came from.
#[derive(Clone, Debug)]
pub struct Value<'a> {
    /// What it is.
    pub kind: Kind<'a>,
    /// Where it is.
    pub span: Span,
}

/// The kinds of RON value.
#[derive(Clone, Debug)]
pub enum Kind<'a> {
    /// A string, decoded.
    Str(StrLit<'a>),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// A character literal.
    Char(char),
    /// `[a, b]`.
    List(&'a [Value<'a>]),
    /// `{k: v}`.
    Map(&'a [(Value<'a>, Value<'a>)]),
    /// `Name(field: v)` or `(field: v)`.
    Struct {
        /// The struct's name, when written.
        name: Option<Ident<'a>>,
        /// Its fields, in file order.
        fields: &'a [Field<'a>],
    },
    /// `Name(a, b)` or `(a, b)`.
    Tuple {
        /// The tuple's name, when written.
        name: Option<Ident<'a>>,
        /// Its items, in file order.
        items: &'a [Value<'a>],
    },
    /// A bare identifier such as `None` or an enum variant.
    Ident(Ident<'a>),
}

impl Kind<'_> {
    /// A short description for "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match self {
            Kind::Str(_) => "a string".into(),
            Kind::Int(_) => "an integer".into(),
            Kind::Float(_) => "a number".into(),
            Kind::Bool(_) => "a boolean".into(),
            Kind::Char(_) => "a character".into(),
            Kind::List(_) => "a list".into(),
            Kind::Map(_) => "a map".into(),
            Kind::Struct { name: Some(n), .. } | Kind::Tuple { name: Some(n), .. } => {
                format!("`{}(..)`", n.name)
            }
            Kind::Struct { .. } | Kind::Tuple { .. } => "`(..)`".into(),
            Kind::Ident(i) => format!("`{}`", i.name),
        }
    }
}

/// An identifier and its span.
#[derive(Clone, Debug)]
pub struct Ident<'a> {
    /// The text.
    pub name: &'a str,
    /// Where.
    pub span: Span,
}

/// `name: value` inside a struct.
#[derive(Clone, Debug)]
pub struct Field<'a> {
    /// The field's name.
    pub name: Ident<'a>,
    /// Its value.
    pub value: Value<'a>,
}

/// A decoded string with a map from decoded byte offsets back to the file.
#[derive(Clone, Debug)]
pub struct StrLit<'a> {
    /// The decoded text (escapes resolved, wrapped lines folded): the file's own
    /// bytes when it needed no decoding, else decoded into the tree's arena.
    pub text: &'a str,
    map: OffsetMap<'a>,
}

#[derive(Clone, Debug)]
enum OffsetMap<'a> {
    /// Decoded byte `i` is at file offset `base + i`.
    Identity { base: u32 },
    /// Decoded byte `i` is at file offset `table[i]`; `table[len]` is the end.
    Table(&'a [u32]),
}

impl StrLit<'_> {
    /// The file offset of decoded byte `i` (clamped to the end).
    pub fn offset(&self, i: usize) -> u32 {
        match &self.map {
            OffsetMap::Identity { base } => base + i.min(self.text.len()) as u32,
            OffsetMap::Table(t) => t[i.min(t.len() - 1)],
        }
    }

    /// The file span of decoded bytes `start..end` (both on character boundaries).
    pub fn span(&self, file: FileId, start: usize, end: usize) -> Span {
        let s = self.offset(start);
        Span { file, start: s, end: self.offset(end).max(s) }
    }
}

/// Parses one file into a tree whose lists live in `arena` (dropping the arena frees
/// the tree at once). A syntax error stops this file (RON has no safe
/// resynchronisation point) and is returned as a diagnostic pointing at the offending
/// character.
pub fn parse<'a>(file: FileId, text: &'a str, arena: &'a Arena) -> Result<Value<'a>, Diagnostic> {
    if text.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::new(Code::TooLarge, format!("file is {} bytes; the limit is {MAX_FILE_BYTES}", text.len()))
            .at(Span::new(file, 0, 0), "this file")
            .help("split the chapter into several files"));
    }
    let mut p = Parser {
        file,
        src: text,
        bytes: text.as_bytes(),
        arena,
        values: Vec::new(),
        pairs: Vec::new(),
        fields: Vec::new(),
        pos: 0,
        depth: 0,
        last_string: None,
    };
    // A UTF-8 byte-order mark (some Windows editors write one) is not content.
    if text.starts_with('\u{FEFF}') {
        p.pos = 3;
    }
    p.skip_ws()?;
    // RON allows `#![enable(...)]` attributes at the top; accept and ignore them.
    while p.peek() == Some(b'#') {
        p.skip_attribute()?;
        p.skip_ws()?;
    }
    let v = p.value()?;
    p.skip_ws()?;
    if p.pos < p.bytes.len() {
        return Err(p
            .err_here("unexpected text after the end of the file's value", "expected nothing more here")
            .help("each file holds exactly one value: check for an extra closing bracket earlier"));
    }
    Ok(v)
}

/// Where a string's text holds the file's own structure: a bracket followed by a
/// comma, or `, name:` (a field). Text rarely does; a string missing its closing quote
/// swallows exactly that.
fn structure_in(body: &str) -> Option<usize> {
    let b = body.as_bytes();
    for i in 0..b.len() {
        match b[i] {
            b']' | b')' if b.get(i + 1) == Some(&b',') => return Some(i),
            b',' => {
                let rest = body[i + 1..].trim_start();
                let word = rest.bytes().take_while(|c| c.is_ascii_alphanumeric() || *c == b'_').count();
                if word > 0 && rest[word..].starts_with(':') && !rest[word..].starts_with("::") {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

struct Parser<'a> {
    file: FileId,
    src: &'a str,
    bytes: &'a [u8],
    arena: &'a Arena,
    /// Items of the lists, maps and structs being read (see [`Parser::seq`]).
    values: Vec<Value<'a>>,
    pairs: Vec<(Value<'a>, Value<'a>)>,
    fields: Vec<Field<'a>>,
    pos: usize,
    depth: usize,
    /// The last string read: (its opening quote, the byte after its closing quote).
    last_string: Option<(usize, usize)>,
}

impl<'a> Parser<'a> {
    /// When items are not separated as expected right after a string, the string is
    /// usually the real mistake: a `"` typed inside it ended it early, or its closing
    /// `"` is missing and it ran on to the next string's opening quote. Says so,
    /// pointing at the quote that opened it, instead of asking for a comma.
    fn string_trouble(&self) -> Option<Diagnostic> {
        let (open, close) = self.last_string?;
        if close > self.pos || !self.src[close..self.pos].trim().is_empty() {
            return None;
        }
        let next = self.peek()?;
        let wordlike = next == b'\'' || next == b'_' || next.is_ascii_alphanumeric() || next >= 0x80;
        if !wordlike {
            return None;
        }
        let body = &self.src[open..close];
        let Some(first_break) = body.find('\n') else {
            return self.quote_inside(open, close);
        };
        // The end of the line the string starts on: where its `"` was probably meant
        // to go (before a trailing comma or bracket, which belong outside it).
        let line = &body[..first_break];
        let kept = line.trim_end().trim_end_matches([',', ')', ']']).trim_end();
        let should = open + kept.len();
        Some(
            Diagnostic::new(Code::Syntax, "this string is never closed")
                .at(Span::new(self.file, open, open + 1), "this string is never closed")
                .also(Span::new(self.file, should, should), "it probably should end here")
                .help(format!("add the closing `\"` at the end of line {}", self.line_of(should)))
                .note("without it, the text runs on to the next string's opening quote, and what follows no longer parses"),
        )
    }

    /// `"name == "Bo""`: the string ended at a quote meant to be inside it; or, when
    /// what it holds looks like the file's own structure (`"C], ending: "`), its
    /// closing quote is missing.
    fn quote_inside(&self, open: usize, close: usize) -> Option<Diagnostic> {
        let body = &self.src[open + 1..close - 1];
        if let Some(at) = structure_in(body) {
            let kept = body[..at].trim_end();
            let should = open + 1 + kept.len();
            return Some(
                Diagnostic::new(Code::Syntax, "this string is never closed")
                    .at(Span::new(self.file, open, open + 1), "this string is never closed")
                    .also(Span::new(self.file, should, should), "it probably should end here")
                    .help("add the closing `\"` where the text ends")
                    .note("without it, the text runs on to the next `\"`, and what follows no longer parses"),
            );
        }
        if close == self.pos {
            return Some(
                Diagnostic::new(Code::Syntax, "a `\"` inside this string ends it early")
                    .at(Span::new(self.file, close - 1, close), "the string ends here, by mistake")
                    .also(Span::new(self.file, open, open + 1), "the string starts here")
                    .help("inside a condition or effect, quote text with single quotes: `name == 'Bo'`; in passage text write `\\\"`"),
            );
        }
        None
    }

    fn line_of(&self, at: usize) -> usize {
        self.bytes[..at.min(self.bytes.len())].iter().filter(|&&b| b == b'\n').count() + 1
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn span(&self, start: usize) -> Span {
        Span::new(self.file, start, self.pos)
    }

    fn err_here(&self, message: impl Into<String>, label: impl Into<String>) -> Diagnostic {
        let end = (self.pos + 1).min(self.bytes.len()).max(self.pos);
        let mut end = end;
        while end < self.bytes.len() && !self.src.is_char_boundary(end) {
            end += 1;
        }
        Diagnostic::new(Code::Syntax, message).at(Span::new(self.file, self.pos, end), label)
    }

    fn found(&self) -> String {
        match self.src[self.pos..].chars().next() {
            None => "the end of the file".into(),
            Some(c) => format!("`{c}`"),
        }
    }

    fn skip_ws(&mut self) -> Result<(), Diagnostic> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.pos += 1,
                Some(b'/') if self.bytes.get(self.pos + 1) == Some(&b'/') => {
                    while let Some(b) = self.peek() {
                        if b == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                Some(b'/') if self.bytes.get(self.pos + 1) == Some(&b'*') => {
                    let start = self.pos;
                    self.pos += 2;
                    let mut level = 1;
                    while level > 0 {
                        match (self.peek(), self.bytes.get(self.pos + 1)) {
                            (None, _) => {
                                return Err(Diagnostic::new(Code::Syntax, "unterminated block comment")
                                    .at(Span::new(self.file, start, start + 2), "this comment is never closed")
                                    .help("close it with `*/`"));
                            }
                            (Some(b'*'), Some(b'/')) => {
                                level -= 1;
                                self.pos += 2;
                            }
                            (Some(b'/'), Some(b'*')) => {
                                level += 1;
                                self.pos += 2;
                            }
                            _ => self.pos += 1,
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn skip_attribute(&mut self) -> Result<(), Diagnostic> {
        // `#![...]`: skip to the matching `]`.
        let start = self.pos;
        let mut level = 0;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'[' => level += 1,
                b']' => {
                    level -= 1;
                    if level == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        Err(Diagnostic::new(Code::Syntax, "unterminated attribute").at(Span::new(self.file, start, start + 1), "opened here"))
    }

    fn enter(&mut self) -> Result<(), Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Diagnostic::new(Code::TooLarge, format!("nesting deeper than {MAX_DEPTH} levels"))
                .at(Span::new(self.file, self.pos, self.pos + 1), "too deep here"));
        }
        Ok(())
    }

    fn value(&mut self) -> Result<Value<'a>, Diagnostic> {
        let start = self.pos;
        match self.peek() {
            None => Err(self.err_here("unexpected end of file", "expected a value").help("a bracket or a value is missing")),
            Some(b'"') => self.string(start),
            Some(b'r') if matches!(self.bytes.get(self.pos + 1), Some(b'"' | b'#')) => self.raw_string(start),
            Some(b'\'') => self.char_lit(start),
            Some(b'[') => {
                self.enter()?;
                self.pos += 1;
                let items = self.seq(b']', |p| &mut p.values, |p| p.value())?;
                self.depth -= 1;
                Ok(Value { kind: Kind::List(items), span: self.span(start) })
            }
            Some(b'{') => {
                self.enter()?;
                self.pos += 1;
                let items = self.seq(
                    b'}',
                    |p| &mut p.pairs,
                    |p| {
                        let k = p.value()?;
                        p.skip_ws()?;
                        p.eat(b':', "expected `:` between a map key and its value")?;
                        p.skip_ws()?;
                        let v = p.value()?;
                        Ok((k, v))
                    },
                )?;
                self.depth -= 1;
                Ok(Value { kind: Kind::Map(items), span: self.span(start) })
            }
            Some(b'(') => self.parens(None, start),
            Some(b'-' | b'+' | b'0'..=b'9' | b'.') => self.number(start),
            Some(b) if b == b'_' || b.is_ascii_alphabetic() => {
                let ident = self.ident();
                match ident.name {
                    "true" => {
                        return Ok(Value { kind: Kind::Bool(true), span: ident.span });
                    }
                    "false" => {
                        return Ok(Value { kind: Kind::Bool(false), span: ident.span });
                    }
                    _ => {}
                }
                // `Name(` must follow immediately or after whitespace.
                let save = self.pos;
                self.skip_ws()?;
                if self.peek() == Some(b'(') {
                    self.parens(Some(ident), start)
                } else {
                    self.pos = save;
                    Ok(Value { span: ident.span, kind: Kind::Ident(ident) })
                }
            }
            _ => {
                let found = self.found();
                let mut d = self.err_here(format!("expected a value, found {found}"), "expected a value here");
                if matches!(self.peek(), Some(b'}' | b']' | b')' | b',')) {
                    d = d.help("remove the extra separator, or add the missing value");
                } else if self.peek().is_some_and(|b| b >= 0x80) {
                    d = d.help("text must be inside double quotes: \"...\"");
                }
                Err(d)
            }
        }
    }

    fn eat(&mut self, b: u8, message: &str) -> Result<(), Diagnostic> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            let found = self.found();
            Err(self.err_here(format!("{message}, found {found}"), format!("expected `{}`", b as char)))
        }
    }

    /// Items separated by commas up to `close`; a trailing comma is allowed.
    ///
    /// Items are gathered on `stack` (one per item type, shared by every level of
    /// nesting: an inner list takes its items off before the outer one pushes its
    /// next), then moved into the arena at their exact size.
    fn seq<T>(
        &mut self,
        close: u8,
        stack: fn(&mut Self) -> &mut Vec<T>,
        mut item: impl FnMut(&mut Self) -> Result<T, Diagnostic>,
    ) -> Result<&'a [T], Diagnostic> {
        let open_at = self.pos - 1;
        let base = stack(self).len();
        loop {
            self.skip_ws()?;
            if self.peek() == Some(close) {
                self.pos += 1;
                let arena = self.arena;
                return Ok(arena.alloc_slice_fill_iter(stack(self).drain(base..)));
            }
            if self.peek().is_none() {
                return Err(Diagnostic::new(Code::Syntax, format!("`{}` is never closed", self.bytes[open_at] as char))
                    .at(Span::new(self.file, open_at, open_at + 1), "opened here")
                    .help(format!("add `{}` where it should end", close as char)));
            }
            let one = item(self)?;
            stack(self).push(one);
            self.skip_ws()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                None => {
                    return Err(Diagnostic::new(Code::Syntax, format!("`{}` is never closed", self.bytes[open_at] as char))
                        .at(Span::new(self.file, open_at, open_at + 1), "opened here")
                        .help(format!("add `{}` where it should end", close as char)));
                }
                Some(c) if c == close => {}
                _ => {
                    if let Some(d) = self.string_trouble() {
                        return Err(d);
                    }
                    let found = self.found();
                    let mut d = self.err_here(format!("expected `,` or `{}`, found {found}", close as char), "expected `,` before this");
                    d = d.help("add a comma between items");
                    return Err(d);
                }
            }
        }
    }

    fn parens(&mut self, name: Option<Ident<'a>>, start: usize) -> Result<Value<'a>, Diagnostic> {
        self.enter()?;
        self.pos += 1; // `(`
        self.skip_ws()?;
        // A struct if the first item is `ident:` (and not `ident::`).
        let is_struct = {
            let save = self.pos;
            let r = if self.peek().is_some_and(|b| b == b'_' || b.is_ascii_alphabetic()) {
                self.ident();
                self.skip_ws()?;
                self.peek() == Some(b':')
            } else {
                false
            };
            self.pos = save;
            r
        };
        let kind = if is_struct {
            let fields = self.seq(
                b')',
                |p| &mut p.fields,
                |p| {
                    if !p.peek().is_some_and(|b| b == b'_' || b.is_ascii_alphabetic()) {
                        let found = p.found();
                        return Err(p.err_here(format!("expected a field name, found {found}"), "expected `name: value`"));
                    }
                    let name = p.ident();
                    p.skip_ws()?;
                    p.eat(b':', "expected `:` after a field name")?;
                    p.skip_ws()?;
                    let value = p.value()?;
                    Ok(Field { name, value })
                },
            )?;
            Kind::Struct { name, fields }
        } else {
            let items = self.seq(b')', |p| &mut p.values, |p| p.value())?;
            Kind::Tuple { name, items }
        };
        self.depth -= 1;
        Ok(Value { kind, span: self.span(start) })
    }

    fn ident(&mut self) -> Ident<'a> {
        let start = self.pos;
        // Raw identifiers `r#name`.
        if self.bytes[self.pos..].starts_with(b"r#") {
            self.pos += 2;
        }
        while self.peek().is_some_and(|b| b == b'_' || b.is_ascii_alphanumeric()) {
            self.pos += 1;
        }
        let text = &self.src[start..self.pos];
        Ident { name: text.strip_prefix("r#").unwrap_or(text), span: self.span(start) }
    }

    fn number(&mut self, start: usize) -> Result<Value<'a>, Diagnostic> {
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        let body = self.pos;
        let hex = self.bytes[self.pos..].starts_with(b"0x");
        if hex {
            self.pos += 2;
        }
        let mut float = false;
        while let Some(b) = self.peek() {
            match b {
                b'0'..=b'9' | b'_' => {}
                b'a'..=b'f' | b'A'..=b'F' if hex => {}
                b'.' | b'e' | b'E' if !hex => float = true,
                b'-' | b'+' if float && matches!(self.bytes[self.pos - 1], b'e' | b'E') => {}
                _ => break,
            }
            self.pos += 1;
        }
        let span = self.span(start);
        let text: String = self.src[start..self.pos].chars().filter(|&c| c != '_').collect();
        if self.pos == body {
            return Err(Diagnostic::new(Code::Syntax, "expected a number").at(span, "not a number"));
        }
        let bad = || Diagnostic::new(Code::Syntax, format!("`{}` is not a valid number", &text)).at(span, "here");
        if float {
            let f: f64 = text.parse().map_err(|_| bad())?;
            Ok(Value { kind: Kind::Float(f), span })
        } else if hex {
            let neg = text.starts_with('-');
            let digits = text.trim_start_matches(['-', '+']).trim_start_matches("0x");
            let n = i64::from_str_radix(digits, 16).map_err(|_| bad())?;
            Ok(Value { kind: Kind::Int(if neg { -n } else { n }), span })
        } else {
            let n: i64 = text.parse().map_err(|_| {
                Diagnostic::new(Code::Syntax, format!("`{text}` is not a valid integer"))
                    .at(span, "here")
                    .help("integers must fit in 64 bits")
            })?;
            Ok(Value { kind: Kind::Int(n), span })
        }
    }

    fn char_lit(&mut self, start: usize) -> Result<Value<'a>, Diagnostic> {
        self.pos += 1;
        let c = if self.peek() == Some(b'\\') {
            self.escape(start)?.0
        } else {
            let c = self.src[self.pos..].chars().next().ok_or_else(|| self.err_here("unterminated character", "here"))?;
            self.pos += c.len_utf8();
            c
        };
        if self.peek() != Some(b'\'') {
            return Err(Diagnostic::new(Code::Syntax, "a character literal holds one character")
                .at(Span::new(self.file, start, self.pos), "here")
                .help("use double quotes for text: \"...\""));
        }
        self.pos += 1;
        Ok(Value { kind: Kind::Char(c), span: self.span(start) })
    }

    /// Reads an escape at `self.pos` (which is at the backslash); returns the character.
    fn escape(&mut self, lit_start: usize) -> Result<(char, usize), Diagnostic> {
        let at = self.pos;
        self.pos += 1;
        let c = match self.peek() {
            Some(b'n') => '\n',
            Some(b't') => '\t',
            Some(b'r') => '\r',
            Some(b'0') => '\0',
            Some(b'\\') => '\\',
            Some(b'"') => '"',
            Some(b'\'') => '\'',
            Some(b'u') => {
                self.pos += 1;
                if self.peek() != Some(b'{') {
                    return Err(self.err_here("expected `{` in a `\\u{...}` escape", "here"));
                }
                let hex_start = self.pos + 1;
                let Some(close) = self.src[hex_start..].find('}') else {
                    return Err(self.err_here("unterminated `\\u{...}` escape", "here"));
                };
                let hex = &self.src[hex_start..hex_start + close];
                let c = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32).ok_or_else(|| {
                    Diagnostic::new(Code::Syntax, format!("`\\u{{{hex}}}` is not a character"))
                        .at(Span::new(self.file, at, hex_start + close + 1), "here")
                })?;
                self.pos = hex_start + close;
                c
            }
            Some(b'x') => {
                let hex = self.src.get(self.pos + 1..self.pos + 3).unwrap_or("");
                let c =
                    u8::from_str_radix(hex, 16).ok().filter(|b| b.is_ascii()).map(char::from).ok_or_else(|| {
                        Diagnostic::new(Code::Syntax, "bad `\\x` escape").at(Span::new(self.file, at, self.pos + 1), "here")
                    })?;
                self.pos += 2;
                c
            }
            _ => {
                let _ = lit_start;
                let mut end = self.pos + 1;
                while end < self.bytes.len() && !self.src.is_char_boundary(end) {
                    end += 1;
                }
                let end = end.min(self.bytes.len());
                return Err(Diagnostic::new(Code::Syntax, format!("unknown escape `\\{}`", self.src.get(self.pos..end).unwrap_or("")))
                    .at(Span::new(self.file, at, end), "here")
                    .help("write `\\\\` for a backslash, `\\\"` for a double quote, `\\n` for a line break"));
            }
        };
        self.pos += 1;
        Ok((c, at))
    }

    fn string(&mut self, start: usize) -> Result<Value<'a>, Diagnostic> {
        self.pos += 1;
        let content = self.pos;
        // Fast path: no escapes and no line breaks: the text is a slice of the file.
        // One SIMD scan finds the first quote, backslash or line break; a carriage
        // return (only ever before a line break, or stray) is looked for in what lies
        // before it.
        if let Some(i) = memchr::memchr3(b'"', b'\\', b'\n', &self.bytes[content..]) {
            let end = content + i;
            if self.bytes[end] == b'"' && memchr::memchr(b'\r', &self.bytes[content..end]).is_none() {
                self.pos = end;
                let text = &self.src[content..self.pos];
                self.pos += 1;
                self.last_string = Some((start, self.pos));
                let lit = StrLit { text, map: OffsetMap::Identity { base: content as u32 } };
                return Ok(Value { kind: Kind::Str(lit), span: self.span(start) });
            }
        }
        self.pos = content;
        let mut text = String::new();
        let mut table = Vec::new();
        loop {
            match self.peek() {
                None => {
                    let line_end = self.src[start..].find('\n').map_or(self.src.len(), |i| start + i);
                    let kept = self.src[start..line_end].trim_end().trim_end_matches([',', ')', ']']).trim_end();
                    let should = start + kept.len();
                    return Err(Diagnostic::new(Code::Syntax, "this string is never closed")
                        .at(Span::new(self.file, start, start + 1), "this string is never closed")
                        .also(Span::new(self.file, should, should), "it probably should end here")
                        .help("add the closing `\"`; a `\"` inside text is written `\\\"`"));
                }
                Some(b'"') => break,
                Some(b'\\') => {
                    let (c, at) = self.escape(start)?;
                    push_char(&mut text, &mut table, c, at as u32);
                }
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.fold_ws(&mut text, &mut table),
                Some(_) => {
                    let c = self.src[self.pos..].chars().next().unwrap_or('\u{fffd}');
                    push_char(&mut text, &mut table, c, self.pos as u32);
                    self.pos += c.len_utf8();
                }
            }
        }
        table.push(self.pos as u32);
        self.pos += 1;
        self.last_string = Some((start, self.pos));
        Ok(Value {
            kind: Kind::Str(StrLit { text: self.arena.alloc_str(&text), map: OffsetMap::Table(self.arena.alloc_slice_copy(&table)) }),
            span: self.span(start),
        })
    }

    /// A run of literal whitespace: kept as is, unless it holds a line break, in which
    /// case it becomes one space (so writers can wrap long passages in the file).
    fn fold_ws(&mut self, text: &mut String, table: &mut Vec<u32>) {
        let run = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
        let ws = &self.src[run..self.pos];
        if ws.contains('\n') {
            // A break right after an explicit `\n` escape or at the very start adds nothing.
            if !(text.is_empty() || text.ends_with('\n')) {
                push_char(text, table, ' ', run as u32);
            }
        } else {
            for (i, c) in ws.char_indices() {
                push_char(text, table, c, (run + i) as u32);
            }
        }
    }

    fn raw_string(&mut self, start: usize) -> Result<Value<'a>, Diagnostic> {
        self.pos += 1; // `r`
        let mut hashes = 0;
        while self.peek() == Some(b'#') {
            hashes += 1;
            self.pos += 1;
        }
        if self.peek() != Some(b'"') {
            return Err(self.err_here("expected `\"` to start a raw string", "here"));
        }
        self.pos += 1;
        let mut close = String::from("\"");
        close.push_str(&"#".repeat(hashes));
        let Some(len) = self.src[self.pos..].find(&close) else {
            return Err(Diagnostic::new(Code::Syntax, "unterminated raw string")
                .at(Span::new(self.file, start, start + 1), "never closed")
                .help(format!("close it with `{close}`")));
        };
        let end = self.pos + len;
        let mut text = String::new();
        let mut table = Vec::new();
        while self.pos < end {
            if matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                let stop = self.bytes[self.pos..end].iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
                let run_end = stop.map_or(end, |s| self.pos + s);
                let ws = &self.src[self.pos..run_end];
                if ws.contains('\n') {
                    if !text.is_empty() {
                        push_char(&mut text, &mut table, ' ', self.pos as u32);
                    }
                } else {
                    for (i, c) in ws.char_indices() {
                        push_char(&mut text, &mut table, c, (self.pos + i) as u32);
                    }
                }
                self.pos = run_end;
            } else {
                let c = self.src[self.pos..].chars().next().unwrap_or('\u{fffd}');
                push_char(&mut text, &mut table, c, self.pos as u32);
                self.pos += c.len_utf8();
            }
        }
        table.push(end as u32);
        self.pos = end + close.len();
        Ok(Value {
            kind: Kind::Str(StrLit { text: self.arena.alloc_str(&text), map: OffsetMap::Table(self.arena.alloc_slice_copy(&table)) }),
            span: self.span(start),
        })
    }
}

fn push_char(text: &mut String, table: &mut Vec<u32>, c: char, at: u32) {
    // Every byte of the character maps to where the character (or its escape) starts.
    table.extend(std::iter::repeat_n(at, c.len_utf8()));
    text.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Value<'_> {
        match parse(FileId(0), s, Box::leak(Box::new(Arena::new()))) {
            Ok(v) => v,
            Err(d) => panic!("{d:?}"),
        }
    }

    #[test]
    fn parses_structs_tuples_lists_maps() {
        let v = p("Story(id: \"x\", files: [\"a\", \"b\",], n: -3, t: (1, 2), m: {\"k\": true}, e: None)");
        let Kind::Struct { name, fields } = v.kind else { panic!("not a struct") };
        assert_eq!(name.map(|n| n.name), Some("Story"));
        let names: Vec<_> = fields.iter().map(|f| f.name.name).collect();
        assert_eq!(names, ["id", "files", "n", "t", "m", "e"]);
        assert!(matches!(fields[2].value.kind, Kind::Int(-3)));
        assert!(matches!(&fields[3].value.kind, Kind::Tuple { items, .. } if items.len() == 2));
    }

    #[test]
    fn strings_fold_wrapped_lines_and_keep_escaped_breaks() {
        let v = p("\"one\n     two\\nthree \\\"q\\\"\"");
        let Kind::Str(s) = v.kind else { panic!() };
        assert_eq!(s.text, "one two\nthree \"q\"");
        // `two` starts at file offset 10.
        assert_eq!(s.offset(4), 10);
    }

    #[test]
    fn identity_strings_map_offsets_directly() {
        let v = p("  \"héllo\"");
        let Kind::Str(s) = v.kind else { panic!() };
        assert_eq!(s.offset(0), 3);
        assert_eq!(s.span(FileId(0), 1, 3), Span::new(FileId(0), 4, 6));
    }

    #[test]
    fn syntax_errors_point_at_the_problem() {
        let e = parse(FileId(0), "Story(id: \"x\" title: \"y\")", &Arena::new()).err().map(|d| (d.code, d.primary_span()));
        assert_eq!(e, Some((Code::Syntax, Some(Span::new(FileId(0), 14, 15)))));
        let e = parse(FileId(0), "[1, 2", &Arena::new()).err().map(|d| d.message);
        assert_eq!(e.as_deref(), Some("`[` is never closed"));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let s = "[".repeat(100_000);
        let e = parse(FileId(0), &s, &Arena::new()).err().map(|d| d.code);
        assert_eq!(e, Some(Code::TooLarge));
    }

    #[test]
    fn comments_and_raw_strings() {
        let v = p("/* a /* nested */ */ [r#\"raw \"x\"\"#, 'c', 1.5] // end");
        let Kind::List(items) = v.kind else { panic!() };
        assert!(matches!(&items[0].kind, Kind::Str(s) if s.text == "raw \"x\""));
        assert!(matches!(items[1].kind, Kind::Char('c')));
    }
}
