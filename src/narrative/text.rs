//! Text markup: `{expr}` interpolation, `{if c: a | b}` fragments and ink-style
//! variations (`{seq: ..}`, `{cycle: ..}`, `{once: ..}`, `{shuffle: ..}`), compiled once
//! and rendered into a reused buffer.

use super::diagnostic::{Code, Diagnostic};
use super::expr::{Env, Expr, Scope, parse_condition, parse_expr};
use super::fxhash;
use super::ron_tree::StrLit;
use super::source::{FileId, Span};
use std::sync::{Arc, OnceLock};

/// The most variation alternatives or markup segments one text may hold.
pub const MAX_SEGMENTS: usize = 4096;

/// The deepest markup nesting in one text (`{if a: {if b: ..}}`): checked before each
/// level is entered, so the parser's recursion is bounded.
pub const MAX_MARKUP_DEPTH: usize = 32;

/// How a variation chooses among its alternatives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VaryKind {
    /// One after another, sticking on the last.
    Seq,
    /// One after another, round and round.
    Cycle,
    /// One after another, then nothing.
    Once,
    /// One at random, from the story's seeded generator.
    Shuffle,
}

/// A string kept in a buffer shared with the other strings compiled with it: a
/// story's literals sit end to end in a few buffers (one per compiling thread), so
/// each costs its 16-byte handle and its bytes, with no allocation of its own, and
/// showing one copies nothing.
#[derive(Clone)]
pub struct SharedStr {
    buf: Arc<OnceLock<String>>,
    start: u32,
    len: u32,
}

impl SharedStr {
    /// Its length in bytes (known without reading the buffer, so also while its
    /// [`ProseBuf`] is still being filled).
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The text (as a `String`'s `as_str`, for code written against one).
    pub fn as_str(&self) -> &str {
        self
    }

    /// The part `from..from + len` of it (bytes, on character boundaries), sharing
    /// its buffer.
    fn sub(&self, from: usize, len: usize) -> SharedStr {
        SharedStr { buf: Arc::clone(&self.buf), start: self.start + from as u32, len: len as u32 }
    }
}

impl std::ops::Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        // The buffer is set once its strings are all compiled; nothing reads a string
        // before then except through its `ProseBuf`.
        self.buf.get().map_or("", |b| slice(b, (self.start, self.len)))
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        self
    }
}

impl std::borrow::Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        self
    }
}

impl From<String> for SharedStr {
    /// Takes the string as it is, spare capacity and all (a rendered passage is
    /// shown without a copy).
    fn from(s: String) -> SharedStr {
        // A string too long for the handle's 32-bit length is cut at a character
        // boundary (the loader refuses files that large long before this).
        let mut len = s.len().min(u32::MAX as usize);
        while !s.is_char_boundary(len) {
            len -= 1;
        }
        SharedStr { buf: Arc::new(OnceLock::from(s)), start: 0, len: len as u32 }
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> SharedStr {
        s.to_string().into()
    }
}

impl Default for SharedStr {
    fn default() -> SharedStr {
        "".into()
    }
}

impl PartialEq for SharedStr {
    fn eq(&self, other: &SharedStr) -> bool {
        **self == **other
    }
}

impl Eq for SharedStr {}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        &**self == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        &**self == *other
    }
}

impl std::hash::Hash for SharedStr {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (**self).hash(h);
    }
}

impl std::fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl serde::Serialize for SharedStr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

impl std::fmt::Display for SharedStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

/// The buffer a run of compilation writes its strings into. Its strings read as empty
/// until [`ProseBuf::freeze`]; before that, [`ProseBuf::read`] reads them.
pub struct ProseBuf {
    text: String,
    lock: Arc<OnceLock<String>>,
    /// The short strings written so far, as `(start, len)` in `text`, by content: a
    /// short string written again ("Leave", "Yes", a name between markup) is
    /// stored once.
    short: hashbrown::HashTable<(u32, u32)>,
}

impl Default for ProseBuf {
    fn default() -> ProseBuf {
        ProseBuf { text: String::new(), lock: Arc::new(OnceLock::new()), short: hashbrown::HashTable::new() }
    }
}

/// Strings up to this many bytes are stored once per buffer however often they
/// are written (longer ones are almost never repeated, and hashing them would cost).
const SHARED_UP_TO: usize = 64;

/// The text at `(start, len)` in a buffer.
fn slice(text: &str, (start, len): (u32, u32)) -> &str {
    text.get(start as usize..start as usize + len as usize).unwrap_or_default()
}

impl ProseBuf {
    /// Makes room for `bytes` more without growing again (a run's strings are most
    /// of its source, so sizing the buffer once from that spares the copies and the
    /// doubled peak of growing it).
    pub fn reserve(&mut self, bytes: usize) {
        self.text.reserve(bytes);
    }

    /// Appends `s`, returning its handle (a short string already written is not
    /// written again).
    pub fn push(&mut self, s: &str) -> SharedStr {
        let start = self.text.len();
        if self.lock.get().is_some() || start + s.len() > u32::MAX as usize {
            // Frozen already, or full: the string gets a buffer of its own.
            return s.into();
        }
        let ProseBuf { text, lock, short } = self;
        let (start, len) = if s.len() <= SHARED_UP_TO {
            let h = fxhash::hash_str(s);
            // The length is compared first: it needs no read of the buffer.
            match short.find(h, |&e| e.1 as usize == s.len() && slice(text, e) == s) {
                Some(&found) => found,
                None => {
                    let e = (start as u32, s.len() as u32);
                    text.push_str(s);
                    short.insert_unique(h, e, |&e| fxhash::hash_str(slice(text, e)));
                    e
                }
            }
        } else {
            text.push_str(s);
            (start as u32, s.len() as u32)
        };
        SharedStr { buf: Arc::clone(lock), start, len }
    }

    /// The text of `s`, whether it lives in this unfrozen buffer or elsewhere.
    pub fn read<'s>(&'s self, s: &'s SharedStr) -> &'s str {
        if Arc::ptr_eq(&s.buf, &self.lock) && self.lock.get().is_none() { slice(&self.text, (s.start, s.len)) } else { s }
    }

    /// Ends the run: the buffer is trimmed to its length and every string handed
    /// out reads from it from now on.
    pub fn freeze(&mut self) {
        let mut text = std::mem::take(&mut self.text);
        text.shrink_to_fit();
        self.short = hashbrown::HashTable::new();
        // Set only here, once: a second call finds it set and changes nothing.
        let _ = self.lock.set(text);
    }
}

/// A piece of compiled text.
#[derive(Clone, Debug, PartialEq)]
pub enum Seg {
    /// Literal text (shared: a passage that is one literal is shown without a copy).
    Lit(SharedStr),
    /// An interpolated expression.
    Expr(Expr),
    /// `{if c: a | b}` (boxed: rarer than literals, and three times their size).
    If(Box<(Expr, Text, Text)>),
    /// A variation (boxed: rarer than literals and expressions, so a segment stays
    /// as small as an expression).
    Vary(Box<Variation>),
}

/// `{seq: ..}`, `{cycle: ..}`, `{once: ..}` or `{shuffle: ..}` in a text.
#[derive(Clone, Debug, PartialEq)]
pub struct Variation {
    /// Which kind.
    pub kind: VaryKind,
    /// Index of this spot's counter in the state.
    pub site: u32,
    /// The alternatives.
    pub alts: Box<[Text]>,
}

/// Compiled text: a list of segments. Most texts are one literal: that one segment is
/// held in place, so a story's tens of thousands of plain passages cost no list each.
#[derive(Clone, Debug, PartialEq)]
pub struct Text(Repr);

#[derive(Clone, Debug, PartialEq)]
enum Repr {
    /// One literal: most texts. Held in place, so a text is 16 bytes.
    Lit(SharedStr),
    /// Markup: the list sits behind one thin pointer, so it fits beside a literal's
    /// handle in those 16 bytes.
    Many(Box<Box<[Seg]>>),
}

impl Default for Text {
    fn default() -> Text {
        Text(Repr::Many(Box::default()))
    }
}

/// What rendering a variation needs: a counter per site and random numbers.
pub trait Varying {
    /// Returns the counter for `site` and increments it.
    fn next_count(&mut self, site: u32) -> u32;
    /// A uniform random number in `0..n` (n ≥ 1).
    fn random_below(&mut self, n: u32) -> u32;
}

impl Text {
    /// Text made of these segments.
    pub fn from_segs(mut segs: Vec<Seg>) -> Text {
        match segs.pop() {
            Some(Seg::Lit(s)) if segs.is_empty() => Text(Repr::Lit(s)),
            Some(last) => {
                segs.push(last);
                Text(Repr::Many(Box::new(segs.into_boxed_slice())))
            }
            None => Text::default(),
        }
    }

    /// The text as its literal (when it is one, see [`Text::as_literal`]) or its
    /// markup segments.
    fn split(&self) -> (Option<&SharedStr>, &[Seg]) {
        match &self.0 {
            Repr::Lit(s) => (Some(s), &[]),
            Repr::Many(segs) => (None, segs),
        }
    }

    /// Its segments, in order, when it has markup; a text that is one literal has
    /// none here (see [`Text::as_literal`]).
    pub fn markup(&self) -> &[Seg] {
        self.split().1
    }

    /// The text when it is one literal with no markup (already tidied by the
    /// parser): what a reader sees, shared rather than copied.
    pub fn as_literal(&self) -> Option<&SharedStr> {
        self.split().0
    }

    /// Plain text with no markup.
    pub fn plain(s: &str) -> Text {
        let mut tidied = s.to_string();
        tidy(&mut tidied);
        Text(Repr::Lit(tidied.into()))
    }

    /// Adds `by` to every variation site (texts compiled in parallel runs are
    /// numbered from zero in each run).
    pub fn shift_sites(&mut self, by: u32) {
        let Repr::Many(segs) = &mut self.0 else { return };
        if by == 0 {
            return;
        }
        for seg in segs.iter_mut() {
            match seg {
                Seg::Vary(v) => {
                    v.site += by;
                    v.alts.iter_mut().for_each(|a| a.shift_sites(by));
                }
                Seg::If(branch) => {
                    branch.1.shift_sites(by);
                    branch.2.shift_sites(by);
                }
                Seg::Lit(_) | Seg::Expr(_) => {}
            }
        }
    }

    /// Whether the text has no variations (so rendering it has no side effects).
    pub fn is_pure(&self) -> bool {
        self.markup().iter().all(|s| match s {
            Seg::Vary(_) => false,
            Seg::If(branch) => branch.1.is_pure() && branch.2.is_pure(),
            _ => true,
        })
    }

    /// Renders into `out` (appending), advancing variation counters.
    pub fn render<E: Env, V: Varying>(&self, env: &E, vary: &mut V, out: &mut String) {
        let (lit, segs) = self.split();
        if let Some(s) = lit {
            out.push_str(s);
        }
        for seg in segs {
            match seg {
                Seg::Lit(s) => out.push_str(s),
                Seg::Expr(e) => e.eval(env).write_to(out),
                Seg::If(branch) => {
                    let (c, a, b) = &**branch;
                    if c.test(env) {
                        a.render(env, vary, out);
                    } else {
                        b.render(env, vary, out);
                    }
                }
                Seg::Vary(v) => {
                    let Variation { kind, site, alts } = &**v;
                    let n = alts.len() as u32;
                    if n == 0 {
                        continue;
                    }
                    let i = match kind {
                        VaryKind::Seq => vary.next_count(*site).min(n - 1),
                        VaryKind::Cycle => vary.next_count(*site) % n,
                        VaryKind::Once => {
                            let i = vary.next_count(*site);
                            if i >= n {
                                continue;
                            }
                            i
                        }
                        VaryKind::Shuffle => vary.random_below(n),
                    };
                    alts[i as usize].render(env, vary, out);
                }
            }
        }
    }

    /// Renders text that has no variations (checked at load), with no side effects.
    pub fn render_pure<E: Env>(&self, env: &E, out: &mut String) {
        struct NoVary;
        impl Varying for NoVary {
            fn next_count(&mut self, _: u32) -> u32 {
                0
            }
            fn random_below(&mut self, _: u32) -> u32 {
                0
            }
        }
        self.render(env, &mut NoVary, out);
    }

    /// Calls `f` on every expression inside, conditions included.
    pub fn each_expr(&self, f: &mut impl FnMut(&Expr)) {
        for seg in self.markup() {
            match seg {
                Seg::Expr(e) => f(e),
                Seg::If(branch) => {
                    let (c, a, b) = &**branch;
                    f(c);
                    a.each_expr(f);
                    b.each_expr(f);
                }
                Seg::Vary(v) => v.alts.iter().for_each(|a| a.each_expr(f)),
                Seg::Lit(_) => {}
            }
        }
    }

    /// Calls `f` on every literal piece (for word counts).
    pub fn each_literal(&self, f: &mut impl FnMut(&str)) {
        let (lit, segs) = self.split();
        if let Some(s) = lit {
            f(s);
        }
        for seg in segs {
            match seg {
                Seg::Lit(s) => f(s),
                Seg::If(branch) => {
                    branch.1.each_literal(f);
                    branch.2.each_literal(f);
                }
                Seg::Vary(v) => v.alts.iter().for_each(|a| a.each_literal(f)),
                Seg::Expr(_) => {}
            }
        }
    }

    /// Whether the text's wording can depend on state (a condition or an interpolation).
    pub fn is_conditional(&self) -> bool {
        self.markup().iter().any(|s| !matches!(s, Seg::Lit(_)))
    }
}

/// Tidies rendered text: runs of spaces left by empty fragments become one; the ends
/// are trimmed; a space before punctuation is dropped.
pub fn tidy(out: &mut String) {
    if !needs_tidy(out) {
        return;
    }
    let mut s = String::with_capacity(out.len());
    for c in out.trim().chars() {
        if c == ' ' && s.ends_with([' ', '\n']) {
            continue;
        }
        if matches!(c, ',' | '.' | ';' | '!' | '?') && s.ends_with(' ') {
            s.pop();
        }
        s.push(c);
    }
    *out = s;
}

/// Whether `s` needs [`tidy`]: a doubled space, a space at either end or before `,`
/// or `.`; one pass over its spaces.
fn needs_tidy(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return true;
    }
    // Prose has a space every few bytes, so looking at each in turn is slow. Instead,
    // every pair of neighbouring bytes is tested in blocks without branching, which
    // the compiler turns into SIMD.
    let (this, next) = (&b[..b.len().saturating_sub(1)], b.get(1..).unwrap_or_default());
    this.chunks(256).zip(next.chunks(256)).any(|(this, next)| {
        this.iter().zip(next).fold(false, |hit, (&x, &y)| hit | ((x == b' ') & ((y == b' ') | (y == b',') | (y == b'.'))))
    })
}

/// Parses text markup in `lit.text`.
pub struct TextParser<'a> {
    lit: &'a StrLit<'a>,
    file: FileId,
    scope: &'a dyn Scope,
    /// Next free variation site; the caller keeps counting across texts.
    pub next_site: &'a mut u32,
    /// Where its literals are written.
    prose: &'a mut ProseBuf,
    allow_vary: bool,
    segments: usize,
    depth: usize,
}

impl<'a> TextParser<'a> {
    /// A parser over one string. `allow_vary` is false for texts rendered without
    /// side effects (choice text, names, reasons).
    /// Its literals are written into `prose`, and read as empty until that is frozen.
    pub fn new(
        lit: &'a StrLit<'a>,
        file: FileId,
        scope: &'a dyn Scope,
        next_site: &'a mut u32,
        prose: &'a mut ProseBuf,
        allow_vary: bool,
    ) -> Self {
        TextParser { lit, file, scope, next_site, prose, allow_vary, segments: 0, depth: 0 }
    }

    fn span(&self, s: usize, e: usize) -> Span {
        self.lit.span(self.file, s, e)
    }

    /// Parses the whole string.
    pub fn parse(mut self) -> Result<Text, Diagnostic> {
        let len = self.lit.text.len();
        let (mut text, end) = self.text(0, false)?;
        // A text that is one literal renders as itself: tidy it once here, so it can
        // be shown as it is stored.
        if let Repr::Lit(s) = &mut text.0
            && needs_tidy(self.prose.read(s))
        {
            let mut tidied = self.prose.read(s).to_string();
            tidy(&mut tidied);
            *s = self.prose.push(&tidied);
        }
        if end < len {
            // `text` stops only at `}` or `|` inside markup, so this is a stray `}`.
            return Err(Diagnostic::new(Code::ExprSyntax, "unmatched `}` in text")
                .at(self.span(end, end + 1), "no `{` opens this")
                .help("for a literal brace write `{\"}\"}`"));
        }
        Ok(text)
    }

    /// Parses text from `pos` until the end, or (when `nested`) an unbalanced `|` or `}`.
    fn text(&mut self, mut pos: usize, nested: bool) -> Result<(Text, usize), Diagnostic> {
        let src: &str = self.lit.text;
        let bytes = src.as_bytes();
        // Most texts are plain: one literal, no markup.
        if !nested && memchr::memchr2(b'{', b'}', &bytes[pos..]).is_none() {
            let text = if pos < bytes.len() { Text(Repr::Lit(self.prose.push(&src[pos..]))) } else { Text::default() };
            return Ok((text, bytes.len()));
        }
        let mut segs = Vec::new();
        let mut lit_start = pos;
        while pos < bytes.len() {
            // Literal text runs at SIMD speed to the next byte that can matter.
            let next = if nested { memchr::memchr3(b'{', b'}', b'|', &bytes[pos..]) } else { memchr::memchr2(b'{', b'}', &bytes[pos..]) };
            let Some(skip) = next else {
                pos = bytes.len();
                break;
            };
            pos += skip;
            match bytes[pos] {
                b'{' => {
                    if lit_start < pos {
                        segs.push(Seg::Lit(self.prose.push(&src[lit_start..pos])));
                    }
                    // Both limits are checked before descending, so neither a long
                    // nor a deep text can run the parser out of stack.
                    self.segments += 1;
                    if self.segments > MAX_SEGMENTS {
                        return Err(Diagnostic::new(Code::TooLarge, format!("more than {MAX_SEGMENTS} markup pieces in one text"))
                            .at(self.span(pos, pos + 1), "here")
                            .help("split the text into several passages"));
                    }
                    if self.depth >= MAX_MARKUP_DEPTH {
                        return Err(Diagnostic::new(Code::TooLarge, format!("markup nested deeper than {MAX_MARKUP_DEPTH} levels"))
                            .at(self.span(pos, pos + 1), "too deep here")
                            .help("flatten the conditions: `{if a && b: ..}`"));
                    }
                    self.depth += 1;
                    let marked = self.markup(pos);
                    self.depth -= 1;
                    let (seg, end) = marked?;
                    segs.push(seg);
                    pos = end;
                    lit_start = pos;
                }
                b'}' => break,
                b'|' if nested => break,
                _ => pos += 1,
            }
        }
        if lit_start < pos {
            segs.push(Seg::Lit(self.prose.push(&src[lit_start..pos])));
        }
        Ok((Text::from_segs(segs), pos))
    }

    /// Finds the end of an expression starting at `pos` (see [`scan_to`]).
    fn scan_expr(&self, pos: usize, stops: &[u8]) -> usize {
        scan_to(self.lit.text, pos, stops)
    }

    fn markup(&mut self, open: usize) -> Result<(Seg, usize), Diagnostic> {
        let src: &str = self.lit.text;
        let unclosed = |p: &Self| {
            Diagnostic::new(Code::ExprSyntax, "`{` is never closed")
                .at(p.span(open, open + 1), "opened here")
                .help("close the markup with `}`; for a literal brace write `{\"{\"}`")
        };
        let inner = open + 1;
        let rest = &src[inner..];
        let lead = rest.len() - rest.trim_start().len();
        let word_start = inner + lead;
        let word: String = src[word_start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let after_word = word_start + word.len();
        let next_non_ws = src[after_word..].trim_start();
        let kind = match word.as_str() {
            "seq" => Some(VaryKind::Seq),
            "cycle" => Some(VaryKind::Cycle),
            "once" => Some(VaryKind::Once),
            "shuffle" => Some(VaryKind::Shuffle),
            _ => None,
        };
        if let Some(kind) = kind.filter(|_| next_non_ws.starts_with(':')) {
            let colon = after_word + (src[after_word..].len() - next_non_ws.len());
            if !self.allow_vary {
                return Err(Diagnostic::new(Code::ExprSyntax, format!("`{{{word}: ..}}` cannot be used here"))
                    .at(self.span(open, colon + 1), "variation not allowed in this text")
                    .note("choice text, names and reasons are shown without advancing the story, so they cannot vary"));
            }
            let site = *self.next_site;
            *self.next_site += 1;
            let mut alts = Vec::new();
            let mut pos = colon + 1;
            loop {
                let (t, end) = self.text(pos, true)?;
                alts.push(self.trim_text(t));
                match src.as_bytes().get(end) {
                    Some(b'|') => pos = end + 1,
                    Some(b'}') => return Ok((Seg::Vary(Box::new(Variation { kind, site, alts: alts.into_boxed_slice() })), end + 1)),
                    _ => return Err(unclosed(self)),
                }
            }
        }
        if word == "if" && src[after_word..].starts_with(|c: char| c.is_whitespace() || c == '(') {
            let (seg, end) = self.if_chain(open, after_word)?;
            return Ok((seg, end + 1));
        }
        let close = self.scan_expr(inner, b"}");
        if close >= src.len() {
            return Err(unclosed(self));
        }
        let span_fn = |s: usize, e: usize| self.span(inner + s, inner + e);
        let (e, _) = parse_expr(&src[inner..close], &span_fn, self.scope)?;
        Ok((Seg::Expr(e), close + 1))
    }
}

impl TextParser<'_> {
    /// `if cond: text | else if cond: text | … | text}` from just after `if`; returns
    /// the segment and the position of the closing `}` (not consumed). An `else if`
    /// branch is an `if` nested in the last branch, so the chain costs one markup
    /// level per link.
    fn if_chain(&mut self, open: usize, after_if: usize) -> Result<(Seg, usize), Diagnostic> {
        let src: &str = self.lit.text;
        let unclosed = |p: &Self| {
            Diagnostic::new(Code::ExprSyntax, "`{` is never closed")
                .at(p.span(open, open + 1), "opened here")
                .help("close the markup with `}`; for a literal brace write `{\"{\"}`")
        };
        let colon = self.scan_expr(after_if, b":}");
        if src.as_bytes().get(colon) != Some(&b':') {
            return Err(Diagnostic::new(Code::ExprSyntax, "`{if ..}` needs a `:` after its condition")
                .at(self.span(open, colon.min(src.len())), "here")
                .help("write `{if condition: text | other text}`"));
        }
        let cond_src = &src[after_if..colon];
        let base = after_if;
        let span_fn = |s: usize, e: usize| self.span(base + s, base + e);
        let cond = parse_condition(cond_src, &span_fn, self.scope)?;
        let (yes, end) = self.text(colon + 1, true)?;
        let (no, end) = match src.as_bytes().get(end) {
            Some(b'|') => {
                let rest = &src[end + 1..];
                let lead = rest.len() - rest.trim_start().len();
                let branch = &rest[lead..];
                if let Some(after) = branch.strip_prefix("else if").filter(|a| a.starts_with(|c: char| c.is_whitespace() || c == '(')) {
                    if self.depth >= MAX_MARKUP_DEPTH {
                        return Err(Diagnostic::new(Code::TooLarge, format!("markup nested deeper than {MAX_MARKUP_DEPTH} levels"))
                            .at(self.span(end, end + 1), "too many `else if` branches")
                            .help("split the text into several passages with `when` conditions"));
                    }
                    let at = end + 1 + lead + ("else if".len()) + (branch.len() - "else if".len() - after.len());
                    self.depth += 1;
                    let chained = self.if_chain(open, at);
                    self.depth -= 1;
                    let (seg, close) = chained?;
                    (Text::from_segs(vec![seg]), close)
                } else {
                    // `| else: text` reads as well as `| text`.
                    let skip = branch
                        .strip_prefix("else")
                        .map(str::trim_start)
                        .filter(|a| a.starts_with(':'))
                        .map_or(0, |a| branch.len() - a.len() + 1);
                    self.text(end + 1 + lead + skip, true)?
                }
            }
            _ => (Text::default(), end),
        };
        match src.as_bytes().get(end) {
            Some(b'}') => Ok((Seg::If(Box::new((cond, self.trim_text(yes), self.trim_text(no)))), end)),
            Some(b'|') => Err(Diagnostic::new(Code::ExprSyntax, "`{if ..}` has more than two branches")
                .at(self.span(end, end + 1), "a third branch starts here")
                .help("chain conditions with `| else if condition: text`, or end with `| else: text`")),
            _ => Err(unclosed(self)),
        }
    }
}

/// The end of an expression in markup starting at `pos`: the first `stops` byte at
/// bracket depth 0 and outside quotes (or the end of the text).
pub(crate) fn scan_to(text: &str, mut pos: usize, stops: &[u8]) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0i32;
    let mut quote = None;
    while pos < bytes.len() {
        let b = bytes[pos];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' => quote = Some(b),
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ if depth <= 0 && stops.contains(&b) => return pos,
                _ => {}
            },
        }
        pos += 1;
    }
    pos
}

impl TextParser<'_> {
    /// Trims the spaces that sit just inside `{..|..}` delimiters, so writers can
    /// space their markup for readability (a narrower view of the same bytes).
    fn trim_text(&self, mut t: Text) -> Text {
        let trim_start = |s: &mut SharedStr| {
            let text = self.prose.read(s);
            let kept = text.trim_start().len();
            *s = s.sub(text.len() - kept, kept);
        };
        let trim_end = |s: &mut SharedStr| *s = s.sub(0, self.prose.read(s).trim_end().len());
        match &mut t.0 {
            Repr::Lit(s) => {
                trim_start(s);
                trim_end(s);
                if s.is_empty() {
                    return Text::default();
                }
            }
            Repr::Many(segs) => {
                if let Some(Seg::Lit(s)) = segs.first_mut() {
                    trim_start(s);
                }
                if let Some(Seg::Lit(s)) = segs.last_mut() {
                    trim_end(s);
                }
                if segs.iter().any(|s| matches!(s, Seg::Lit(l) if l.is_empty())) {
                    let kept = segs.iter().filter(|s| !matches!(s, Seg::Lit(l) if l.is_empty())).cloned().collect();
                    return Text::from_segs(kept);
                }
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::narrative::ron_tree::{Kind, parse};
    use crate::narrative::value::{Type, Value};

    struct S;
    impl Scope for S {
        fn var(&self, name: &str) -> Option<(u32, Type)> {
            match name {
                "n" => Some((0, Type::Int)),
                "name" => Some((1, Type::Str)),
                _ => None,
            }
        }
        fn node(&self, _: &str) -> Option<u32> {
            None
        }
        fn var_names(&self) -> Vec<&str> {
            vec!["n", "name"]
        }
        fn node_names(&self) -> Vec<&str> {
            vec![]
        }
    }
    struct E(Vec<Value>);
    impl Env for E {
        fn var(&self, i: u32) -> &Value {
            &self.0[i as usize]
        }
        fn visits(&self, _: u32) -> u32 {
            0
        }
        fn turns(&self) -> u32 {
            0
        }
    }
    #[derive(Default)]
    struct V(Vec<u32>);
    impl Varying for V {
        fn next_count(&mut self, site: u32) -> u32 {
            let s = site as usize;
            if self.0.len() <= s {
                self.0.resize(s + 1, 0);
            }
            self.0[s] += 1;
            self.0[s] - 1
        }
        fn random_below(&mut self, n: u32) -> u32 {
            n - 1
        }
    }

    #[test]
    fn needs_tidy_finds_every_space_before_a_space_or_stop() {
        // The plain definition, byte by byte.
        fn plain(s: &str) -> bool {
            let b = s.as_bytes();
            b.first() == Some(&b' ') || b.last() == Some(&b' ') || b.windows(2).any(|w| w[0] == b' ' && matches!(w[1], b' ' | b',' | b'.'))
        }
        let long = "word ".repeat(120) + "end";
        let mut cases: Vec<String> =
            ["", "a", " ", "a b", "a  b", "a ,b", "a .b", "a, b.", "x\n y"].iter().map(|s| s.to_string()).collect();
        // A pair on each side of the 256-byte blocks the check works in.
        for at in [254, 255, 256, 257, 511, 512] {
            for pair in ["  ", " ,", " ."] {
                let mut s = long.replace(' ', "_");
                s.replace_range(at..at + 2, pair);
                cases.push(s);
            }
        }
        cases.push(long);
        for c in &cases {
            assert_eq!(needs_tidy(c), plain(c), "{c:?}");
        }
    }

    #[test]
    fn a_short_string_written_twice_is_stored_once_and_reads_back() {
        let mut prose = ProseBuf::default();
        let long = "a paragraph long enough not to be shared, ".repeat(3);
        let words: Vec<String> = (0..5_000).map(|i| format!("choice {i}")).collect();
        let first: Vec<SharedStr> = words.iter().map(|w| prose.push(w)).collect();
        let (l1, l2) = (prose.push(&long), prose.push(&long));
        let again: Vec<SharedStr> = words.iter().map(|w| prose.push(w)).collect();
        // Before the freeze, strings read through the buffer and as empty directly.
        assert_eq!(prose.read(&first[7]), "choice 7");
        assert_eq!(&*first[7], "");
        let written = prose.text.len();
        prose.freeze();
        for ((w, a), b) in words.iter().zip(&first).zip(&again) {
            assert_eq!((&**a, &**b), (w.as_str(), w.as_str()));
            assert_eq!((a.start, a.len), (b.start, b.len), "{w} is stored once");
        }
        assert_eq!((&*l1, &*l2), (long.as_str(), long.as_str()));
        assert_ne!(l1.start, l2.start, "long strings are not looked up");
        assert_eq!(written, words.iter().map(String::len).sum::<usize>() + 2 * long.len());
        // A string pushed after the freeze gets a buffer of its own.
        assert_eq!(&*prose.push("late"), "late");
    }

    fn compile(s: &str) -> Result<Text, Diagnostic> {
        let src = format!("{s:?}");
        let arena = super::super::ron_tree::Arena::new();
        let v = parse(FileId(0), &src, &arena).unwrap_or_else(|d| panic!("{d:?}"));
        let Kind::Str(lit) = v.kind else { panic!() };
        let (mut sites, mut prose) = (0, ProseBuf::default());
        let t = TextParser::new(&lit, FileId(0), &S, &mut sites, &mut prose, true).parse();
        prose.freeze();
        t
    }

    fn render_n(s: &str, times: usize) -> Vec<String> {
        let t = compile(s).unwrap_or_else(|d| panic!("{d:?}"));
        let env = E(vec![Value::Int(2), Value::Str("Wren".into())]);
        let mut v = V::default();
        (0..times)
            .map(|_| {
                let mut out = String::new();
                t.render(&env, &mut v, &mut out);
                tidy(&mut out);
                out
            })
            .collect()
    }

    #[test]
    fn interpolation_and_conditionals() {
        assert_eq!(render_n("Hello, {name}. {n * 2} cups.", 1), ["Hello, Wren. 4 cups."]);
        assert_eq!(render_n("It is {if n > 1: warm | cold} today.", 1), ["It is warm today."]);
        assert_eq!(render_n("Quiet {if n > 5: and warm}.", 1), ["Quiet."]);
        assert_eq!(render_n("a {\"|\"} b {\"{\"}", 1), ["a | b {"]);
    }

    #[test]
    fn variations_advance_per_site() {
        assert_eq!(render_n("{seq: one | two}", 3), ["one", "two", "two"]);
        assert_eq!(render_n("{cycle: a | b}", 3), ["a", "b", "a"]);
        assert_eq!(render_n("x{once: !}", 2), ["x!", "x"]);
        assert_eq!(render_n("{shuffle: a | b | c}", 1), ["c"]);
        assert_eq!(render_n("{if n > 1: {seq: in | again}}", 2), ["in", "again"]);
    }

    #[test]
    fn errors_point_inside_the_string() {
        let d = compile("Hi {nam}!").err().map(|d| (d.code, d.primary_span().map(|s| (s.start, s.end))));
        // The file is `"Hi {nam}!"`: `nam` starts at byte 5.
        assert_eq!(d, Some((Code::UnknownVariable, Some((5, 8)))));
        assert!(compile("Hi {name").is_err());
        assert!(compile("Hi name}").is_err());
        assert!(compile("{if n: a}").is_err());
    }
}
