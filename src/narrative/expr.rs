//! Expressions and effects: parsed and type-checked once at load, with names resolved
//! to indices, then evaluated on every turn without allocating.

use super::diagnostic::{Code, Diagnostic, did_you_mean};
use super::source::Span;
use super::value::{Type, Val, Value};
use std::borrow::Cow;

/// The deepest expression nesting accepted (guards the stack).
pub const MAX_EXPR_DEPTH: usize = 48;

/// The most operators one expression may hold. With [`MAX_EXPR_DEPTH`] it bounds the
/// compiled tree's height (a chain `a+b+c+…` nests one level per `+`), so evaluating,
/// walking and dropping an expression can never exhaust the stack.
pub const MAX_EXPR_OPS: usize = 256;

/// The longest string a variable or an expression can hold, in bytes. Joining
/// strings (`s = s + s`) stops growing there (cut at a character boundary).
pub const MAX_STR_BYTES: usize = 4096;

/// Cuts `s` to at most [`MAX_STR_BYTES`] bytes, at a character boundary.
pub fn cap_string(s: &mut String) {
    if s.len() > MAX_STR_BYTES {
        let mut at = MAX_STR_BYTES;
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        s.truncate(at);
    }
}

/// A compiled expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Expr {
    /// An integer literal.
    Int(i64),
    /// `true` / `false`.
    Bool(bool),
    /// A string literal.
    Str(Box<Box<str>>),
    /// A variable, by index.
    Var(u32),
    /// `visits(node)`, by node index.
    Visits(u32),
    /// `seen(node)`.
    Seen(u32),
    /// `turns()`.
    Turns,
    /// `!e`.
    Not(Box<Expr>),
    /// `-e`.
    Neg(Box<Expr>),
    /// `a op b` (both operands in one box, so an expression is 16 bytes).
    Bin(BinOp, Box<[Expr; 2]>),
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BinOp {
    /// `+` on integers.
    Add,
    /// `+` on strings.
    Concat,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/` (by zero gives 0).
    Div,
    /// `%` (by zero gives 0).
    Rem,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `&&`, short-circuit.
    And,
    /// `||`, short-circuit.
    Or,
}

/// What an expression can look at while it is evaluated.
pub trait Env {
    /// The value of variable `i`.
    fn var(&self, i: u32) -> &Value;
    /// How many times node `i` has been entered.
    fn visits(&self, i: u32) -> u32;
    /// Choices made so far.
    fn turns(&self) -> u32;
}

impl Expr {
    /// Evaluates the expression. Types were checked at load, so a mismatch cannot
    /// happen; should one ever, it reads as `false`/`0`, never a panic.
    pub fn eval<'a, E: Env>(&'a self, env: &'a E) -> Val<'a> {
        match self {
            Expr::Int(n) => Val::Int(*n),
            Expr::Bool(b) => Val::Bool(*b),
            Expr::Str(s) => Val::Str(Cow::Borrowed(s)),
            Expr::Var(i) => env.var(*i).as_val(),
            Expr::Visits(n) => Val::Int(i64::from(env.visits(*n))),
            Expr::Seen(n) => Val::Bool(env.visits(*n) > 0),
            Expr::Turns => Val::Int(i64::from(env.turns())),
            Expr::Not(e) => Val::Bool(!e.eval(env).as_bool()),
            Expr::Neg(e) => Val::Int(e.eval(env).as_int().saturating_neg()),
            Expr::Bin(op, ab) => {
                let [a, b] = &**ab;
                match op {
                    BinOp::And => Val::Bool(a.eval(env).as_bool() && b.eval(env).as_bool()),
                    BinOp::Or => Val::Bool(a.eval(env).as_bool() || b.eval(env).as_bool()),
                    BinOp::Eq => Val::Bool(a.eval(env) == b.eval(env)),
                    BinOp::Ne => Val::Bool(a.eval(env) != b.eval(env)),
                    BinOp::Concat => {
                        let mut s = a.eval(env).to_text().into_owned();
                        if s.len() < MAX_STR_BYTES {
                            s.push_str(&b.eval(env).to_text());
                            cap_string(&mut s);
                        }
                        Val::Str(Cow::Owned(s))
                    }
                    _ => {
                        let (x, y) = (a.eval(env).as_int(), b.eval(env).as_int());
                        match op {
                            // One rule for all integer arithmetic: it saturates at the
                            // ends of i64 and never wraps; dividing by zero gives 0.
                            BinOp::Add => Val::Int(x.saturating_add(y)),
                            BinOp::Sub => Val::Int(x.saturating_sub(y)),
                            BinOp::Mul => Val::Int(x.saturating_mul(y)),
                            BinOp::Div => Val::Int(if y == 0 { 0 } else { x.saturating_div(y) }),
                            BinOp::Rem => Val::Int(x.checked_rem(y).unwrap_or(0)),
                            BinOp::Lt => Val::Bool(x < y),
                            BinOp::Le => Val::Bool(x <= y),
                            BinOp::Gt => Val::Bool(x > y),
                            _ => Val::Bool(x >= y),
                        }
                    }
                }
            }
        }
    }

    /// Evaluates a condition.
    pub fn test<E: Env>(&self, env: &E) -> bool {
        self.eval(env).as_bool()
    }

    /// Calls `f` on every variable this expression reads.
    pub fn each_var(&self, f: &mut impl FnMut(u32)) {
        match self {
            Expr::Var(i) => f(*i),
            Expr::Not(e) | Expr::Neg(e) => e.each_var(f),
            Expr::Bin(_, ab) => {
                let [a, b] = &**ab;
                a.each_var(f);
                b.each_var(f);
            }
            _ => {}
        }
    }

    /// Calls `f` on every node whose visit count this expression reads.
    pub fn each_node(&self, f: &mut impl FnMut(u32)) {
        match self {
            Expr::Visits(n) | Expr::Seen(n) => f(*n),
            Expr::Not(e) | Expr::Neg(e) => e.each_node(f),
            Expr::Bin(_, ab) => {
                let [a, b] = &**ab;
                a.each_node(f);
                b.each_node(f);
            }
            _ => {}
        }
    }

    /// Whether the expression reads `turns()`.
    pub fn reads_turns(&self) -> bool {
        match self {
            Expr::Turns => true,
            Expr::Not(e) | Expr::Neg(e) => e.reads_turns(),
            Expr::Bin(_, ab) => ab[0].reads_turns() || ab[1].reads_turns(),
            _ => false,
        }
    }
}

/// How an effect changes its variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EffectOp {
    /// `x = e`.
    Set,
    /// `x += e`.
    Add,
    /// `x -= e`.
    Sub,
    /// `toggle x`.
    Toggle,
}

/// A compiled effect.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Effect {
    /// The variable written.
    pub var: u32,
    /// How.
    pub op: EffectOp,
    /// The operand (`Bool(true)` for a toggle, unused).
    pub expr: Expr,
}

/// Names an expression may use, resolved by the loader.
pub trait Scope {
    /// A variable's index and type.
    fn var(&self, name: &str) -> Option<(u32, Type)>;
    /// A node's index.
    fn node(&self, name: &str) -> Option<u32>;
    /// All variable names, for suggestions.
    fn var_names(&self) -> Vec<&str>;
    /// All node names, for suggestions.
    fn node_names(&self) -> Vec<&str>;
}

/// Maps a byte range of the expression's text to a file span.
pub type SpanFn<'a> = &'a dyn Fn(usize, usize) -> Span;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Int(i64),
    Str(String),
    Ident(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
    End,
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    span: SpanFn<'a>,
}

const OPS: [&str; 19] = ["&&", "||", "==", "!=", "<=", ">=", "+=", "-=", "<", ">", "+", "-", "*", "/", "%", "!", "=", ":", "?"];

impl<'a> Lexer<'a> {
    fn err(&self, start: usize, end: usize, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Code::ExprSyntax, msg).at((self.span)(start, end.max(start)), "here")
    }

    /// The next token and its byte range.
    fn next(&mut self) -> Result<(Tok, usize, usize), Diagnostic> {
        let b = self.src.as_bytes();
        while self.pos < b.len() && b[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&c) = b.get(self.pos) else {
            return Ok((Tok::End, start, start));
        };
        let tok = match c {
            b'0'..=b'9' => {
                while self.pos < b.len() && (b[self.pos].is_ascii_digit() || b[self.pos] == b'_') {
                    self.pos += 1;
                }
                let text: String = self.src[start..self.pos].chars().filter(|&c| c != '_').collect();
                let n = text.parse().map_err(|_| self.err(start, self.pos, format!("`{text}` is too large for an integer")))?;
                Tok::Int(n)
            }
            b'\'' | b'"' => {
                self.pos += 1;
                let Some(len) = self.src[self.pos..].find(c as char) else {
                    return Err(self.err(start, b.len(), "unterminated string").help(format!("close it with `{}`", c as char)));
                };
                let s = self.src[self.pos..self.pos + len].to_string();
                self.pos += len + 1;
                Tok::Str(s)
            }
            b'(' => {
                self.pos += 1;
                Tok::LParen
            }
            b')' => {
                self.pos += 1;
                Tok::RParen
            }
            b',' => {
                self.pos += 1;
                Tok::Comma
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                // `~` joins an inline reply's id: `seen(shore~ask_lamp)`.
                while self.pos < b.len() && (b[self.pos] == b'_' || b[self.pos] == b'~' || b[self.pos].is_ascii_alphanumeric()) {
                    self.pos += 1;
                }
                Tok::Ident(self.src[start..self.pos].to_string())
            }
            _ => {
                let rest = &self.src[self.pos..];
                let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) else {
                    let ch = rest.chars().next().unwrap_or(' ');
                    let mut d = self.err(start, start + ch.len_utf8(), format!("unexpected `{ch}` in an expression"));
                    if ch == '&' || ch == '|' {
                        d = d.help(format!("write `{ch}{ch}`"));
                    }
                    return Err(d);
                };
                self.pos += op.len();
                Tok::Op(op)
            }
        };
        Ok((tok, start, self.pos))
    }
}

struct Parser<'a> {
    lex: Lexer<'a>,
    tok: Tok,
    start: usize,
    end: usize,
    scope: &'a dyn Scope,
    depth: usize,
    /// Operators so far (see [`MAX_EXPR_OPS`]).
    ops: usize,
}

/// A parsed expression with its type and the byte range it covers.
struct Typed {
    expr: Expr,
    ty: Type,
    start: usize,
    end: usize,
}

fn type_name(t: Type) -> &'static str {
    match t {
        Type::Bool => "Bool",
        Type::Int => "Int",
        Type::Str => "Str",
    }
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, span: SpanFn<'a>, scope: &'a dyn Scope) -> Result<Parser<'a>, Diagnostic> {
        let mut lex = Lexer { src, pos: 0, span };
        let (tok, start, end) = lex.next()?;
        Ok(Parser { lex, tok, start, end, scope, depth: 0, ops: 0 })
    }

    fn bump(&mut self) -> Result<(), Diagnostic> {
        let (tok, start, end) = self.lex.next()?;
        self.tok = tok;
        self.start = start;
        self.end = end;
        Ok(())
    }

    fn span(&self, start: usize, end: usize) -> Span {
        (self.lex.span)(start, end)
    }

    fn err(&self, msg: impl Into<String>, label: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Code::ExprSyntax, msg).at(self.span(self.start, self.end), label)
    }

    fn describe(&self) -> String {
        match &self.tok {
            Tok::End => "the end of the expression".into(),
            _ => format!("`{}`", &self.lex.src[self.start..self.end]),
        }
    }

    fn expr(&mut self, min_prec: u8) -> Result<Typed, Diagnostic> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return Err(Diagnostic::new(Code::TooLarge, format!("expression nested deeper than {MAX_EXPR_DEPTH} levels"))
                .at(self.span(self.start, self.end), "too deep here"));
        }
        let mut lhs = self.unary()?;
        while let Tok::Op(op) = self.tok {
            let (prec, bin) = match op {
                "||" => (1, BinOp::Or),
                "&&" => (2, BinOp::And),
                "==" => (3, BinOp::Eq),
                "!=" => (3, BinOp::Ne),
                "<" => (4, BinOp::Lt),
                "<=" => (4, BinOp::Le),
                ">" => (4, BinOp::Gt),
                ">=" => (4, BinOp::Ge),
                "+" => (5, BinOp::Add),
                "-" => (5, BinOp::Sub),
                "*" => (6, BinOp::Mul),
                "/" => (6, BinOp::Div),
                "%" => (6, BinOp::Rem),
                "=" => {
                    return Err(self.err("`=` is assignment; comparisons use `==`", "here").help("write `==`"));
                }
                _ => break,
            };
            if prec < min_prec {
                break;
            }
            let (op_start, op_end) = (self.start, self.end);
            self.count_op()?;
            self.bump()?;
            let rhs = self.expr(prec + 1)?;
            lhs = self.binary(bin, lhs, rhs, op_start, op_end)?;
        }
        self.depth -= 1;
        Ok(lhs)
    }

    /// Counts one operator against [`MAX_EXPR_OPS`].
    fn count_op(&mut self) -> Result<(), Diagnostic> {
        self.ops += 1;
        if self.ops > MAX_EXPR_OPS {
            return Err(Diagnostic::new(Code::TooLarge, format!("more than {MAX_EXPR_OPS} operators in one expression"))
                .at(self.span(self.start, self.end), "the limit is passed here")
                .help("split the calculation over several effects, keeping partial results in a variable"));
        }
        Ok(())
    }

    fn type_err(&self, t: &Typed, msg: String, label: String) -> Diagnostic {
        Diagnostic::new(Code::Type, msg).at(self.span(t.start, t.end), label)
    }

    fn binary(&self, op: BinOp, a: Typed, b: Typed, op_start: usize, op_end: usize) -> Result<Typed, Diagnostic> {
        let (start, end) = (a.start, b.end);
        let opname = &self.lex.src[op_start..op_end];
        let (op, ty) = match op {
            BinOp::And | BinOp::Or => {
                for t in [&a, &b] {
                    if t.ty != Type::Bool {
                        return Err(self.type_err(
                            t,
                            format!("`{opname}` needs Bool operands, found {}", type_name(t.ty)),
                            format!("this is {}", type_name(t.ty)),
                        ));
                    }
                }
                (op, Type::Bool)
            }
            BinOp::Eq | BinOp::Ne => {
                if a.ty != b.ty {
                    return Err(Diagnostic::new(Code::Type, format!("cannot compare {} with {}", type_name(a.ty), type_name(b.ty)))
                        .at(self.span(op_start, op_end), "these sides have different types")
                        .also(self.span(a.start, a.end), type_name(a.ty))
                        .also(self.span(b.start, b.end), type_name(b.ty)));
                }
                (op, Type::Bool)
            }
            BinOp::Add if a.ty == Type::Str && b.ty == Type::Str => (BinOp::Concat, Type::Str),
            _ => {
                for t in [&a, &b] {
                    if t.ty != Type::Int {
                        let mut d = self.type_err(
                            t,
                            format!("`{opname}` needs Int operands, found {}", type_name(t.ty)),
                            format!("this is {}", type_name(t.ty)),
                        );
                        if op == BinOp::Add {
                            d = d.help("`+` joins two strings, or adds two integers");
                        }
                        return Err(d);
                    }
                }
                let ty = if matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) { Type::Bool } else { Type::Int };
                (op, ty)
            }
        };
        Ok(Typed { expr: Expr::Bin(op, Box::new([a.expr, b.expr])), ty, start, end })
    }

    fn unary(&mut self) -> Result<Typed, Diagnostic> {
        let start = self.start;
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return Err(Diagnostic::new(Code::TooLarge, format!("expression nested deeper than {MAX_EXPR_DEPTH} levels"))
                .at(self.span(self.start, self.end), "too deep here"));
        }
        let r = self.unary_inner(start);
        self.depth -= 1;
        r
    }

    fn unary_inner(&mut self, start: usize) -> Result<Typed, Diagnostic> {
        match self.tok.clone() {
            Tok::Op("!") => {
                self.count_op()?;
                self.bump()?;
                let e = self.unary()?;
                if e.ty != Type::Bool {
                    return Err(self.type_err(&e, format!("`!` needs a Bool, found {}", type_name(e.ty)), "not a Bool".into()));
                }
                Ok(Typed { end: e.end, expr: Expr::Not(Box::new(e.expr)), ty: Type::Bool, start })
            }
            Tok::Op("-") => {
                self.count_op()?;
                self.bump()?;
                let e = self.unary()?;
                if e.ty != Type::Int {
                    return Err(self.type_err(&e, format!("`-` needs an Int, found {}", type_name(e.ty)), "not an Int".into()));
                }
                let expr = match e.expr {
                    Expr::Int(n) => Expr::Int(n.saturating_neg()),
                    other => Expr::Neg(Box::new(other)),
                };
                Ok(Typed { end: e.end, expr, ty: Type::Int, start })
            }
            _ => self.atom(),
        }
    }

    fn atom(&mut self) -> Result<Typed, Diagnostic> {
        let (start, end) = (self.start, self.end);
        match self.tok.clone() {
            Tok::Int(n) => {
                self.bump()?;
                Ok(Typed { expr: Expr::Int(n), ty: Type::Int, start, end })
            }
            Tok::Str(s) => {
                self.bump()?;
                Ok(Typed { expr: Expr::Str(Box::new(s.into_boxed_str())), ty: Type::Str, start, end })
            }
            Tok::LParen => {
                self.bump()?;
                let mut e = self.expr(0)?;
                if self.tok != Tok::RParen {
                    return Err(self
                        .err(format!("expected `)`, found {}", self.describe()), "expected `)`")
                        .also(self.span(start, start + 1), "to close this"));
                }
                e.start = start;
                e.end = self.end;
                self.bump()?;
                Ok(e)
            }
            Tok::Ident(name) => {
                self.bump()?;
                match name.as_str() {
                    "true" => {
                        return Ok(Typed { expr: Expr::Bool(true), ty: Type::Bool, start, end });
                    }
                    "false" => {
                        return Ok(Typed { expr: Expr::Bool(false), ty: Type::Bool, start, end });
                    }
                    _ => {}
                }
                if self.tok == Tok::LParen {
                    return self.call(name, start, end);
                }
                match self.scope.var(&name) {
                    Some((i, ty)) => Ok(Typed { expr: Expr::Var(i), ty, start, end }),
                    None => {
                        let mut d = Diagnostic::new(Code::UnknownVariable, format!("unknown variable `{name}`"))
                            .at(self.span(start, end), "not declared in the manifest")
                            .maybe_help(did_you_mean(&name, self.scope.var_names()));
                        if d.help.is_none() {
                            if self.scope.node(&name).is_some() {
                                d = d.help(format!("`{name}` is a node: write `seen({name})` or `visits({name})`"));
                            } else {
                                d = d.help(format!("declare it in story.ron: `Int(name: \"{name}\")`, `Bool(..)` or `Str(..)`"));
                            }
                        }
                        Err(d)
                    }
                }
            }
            _ => Err(self.err(format!("expected a value, found {}", self.describe()), "expected a value here")),
        }
    }

    fn call(&mut self, name: String, start: usize, name_end: usize) -> Result<Typed, Diagnostic> {
        self.bump()?; // `(`
        let mut args = Vec::new();
        while self.tok != Tok::RParen {
            match self.tok.clone() {
                Tok::Ident(a) => args.push((a, self.start, self.end)),
                _ => {
                    return Err(self.err(format!("expected a node id or `)`, found {}", self.describe()), "here"));
                }
            }
            self.bump()?;
            if self.tok == Tok::Comma {
                self.bump()?;
            } else if self.tok != Tok::RParen {
                return Err(self.err(format!("expected `,` or `)`, found {}", self.describe()), "here"));
            }
        }
        let end = self.end;
        self.bump()?;
        let want = match name.as_str() {
            "visits" | "seen" => 1,
            "turns" => 0,
            _ => {
                return Err(Diagnostic::new(Code::ExprSyntax, format!("unknown function `{name}`"))
                    .at(self.span(start, name_end), "not a built-in function")
                    .maybe_help(did_you_mean(&name, ["visits", "seen", "turns"]))
                    .note("the built-ins are `visits(node)`, `seen(node)` and `turns()`"));
            }
        };
        if args.len() != want {
            return Err(Diagnostic::new(
                Code::ExprSyntax,
                format!("`{name}` takes {want} argument{}, found {}", if want == 1 { "" } else { "s" }, args.len()),
            )
            .at(self.span(start, end), "here"));
        }
        if name == "turns" {
            return Ok(Typed { expr: Expr::Turns, ty: Type::Int, start, end });
        }
        let (node, a_start, a_end) = &args[0];
        let Some(n) = self.scope.node(node) else {
            return Err(Diagnostic::new(Code::UnknownNode, format!("unknown node `{node}`"))
                .at(self.span(*a_start, *a_end), "no node has this id")
                .maybe_help(did_you_mean(node, self.scope.node_names())));
        };
        let (expr, ty) = if name == "visits" { (Expr::Visits(n), Type::Int) } else { (Expr::Seen(n), Type::Bool) };
        Ok(Typed { expr, ty, start, end })
    }
}

/// Parses a whole expression and returns it with its type.
pub fn parse_expr(src: &str, span: SpanFn<'_>, scope: &dyn Scope) -> Result<(Expr, Type), Diagnostic> {
    let mut p = Parser::new(src, span, scope)?;
    if p.tok == Tok::End {
        return Err(p.err("empty expression", "expected an expression here"));
    }
    let e = p.expr(0)?;
    if p.tok != Tok::End {
        let mut d = p.err(format!("unexpected {} after the expression", p.describe()), "expected the end here");
        if matches!(p.tok, Tok::Ident(ref w) if w == "and" || w == "or") {
            d = d.help("write `&&` for and, `||` for or");
        }
        return Err(d);
    }
    Ok((e.expr, e.ty))
}

/// Parses a condition: an expression that must be a Bool.
pub fn parse_condition(src: &str, span: SpanFn<'_>, scope: &dyn Scope) -> Result<Expr, Diagnostic> {
    let (e, ty) = parse_expr(src, span, scope)?;
    if ty != Type::Bool {
        let trimmed = src.trim();
        let lead = src.len() - src.trim_start().len();
        return Err(Diagnostic::new(Code::Type, format!("a condition must be a Bool, but this is {}", type_name(ty)))
            .at(span(lead, lead + trimmed.len()), format!("this is {}", type_name(ty)))
            .help(if ty == Type::Int { format!("compare it: `{trimmed} > 0`") } else { format!("compare it: `{trimmed} == '...'`") }));
    }
    Ok(e)
}

/// Parses an effect: `x = e`, `x += e`, `x -= e` or `toggle x`. Returns the effect and
/// the variable's type.
pub fn parse_effect(src: &str, span: SpanFn<'_>, scope: &dyn Scope) -> Result<Effect, Diagnostic> {
    let mut p = Parser::new(src, span, scope)?;
    let var_tok = |p: &Parser<'_>| -> Result<(u32, Type, usize, usize, String), Diagnostic> {
        let Tok::Ident(name) = p.tok.clone() else {
            return Err(p
                .err(format!("expected a variable name, found {}", p.describe()), "expected a variable")
                .help("effects look like `courage += 1`, `has_key = true` or `toggle lamp`"));
        };
        match p.scope.var(&name) {
            Some((i, ty)) => Ok((i, ty, p.start, p.end, name)),
            None => Err(Diagnostic::new(Code::UnknownVariable, format!("unknown variable `{name}`"))
                .at(p.span(p.start, p.end), "not declared in the manifest")
                .maybe_help(did_you_mean(&name, p.scope.var_names()))),
        }
    };
    if p.tok == Tok::Ident("toggle".into()) {
        p.bump()?;
        let (var, ty, s, e, name) = var_tok(&p)?;
        if ty != Type::Bool {
            return Err(Diagnostic::new(Code::Type, format!("only a Bool can be toggled; `{name}` is {}", type_name(ty)))
                .at(p.span(s, e), "not a Bool"));
        }
        p.bump()?;
        if p.tok != Tok::End {
            return Err(p.err(format!("unexpected {} after `toggle {name}`", p.describe()), "expected the end here"));
        }
        return Ok(Effect { var, op: EffectOp::Toggle, expr: Expr::Bool(true) });
    }
    let (var, ty, vs, ve, name) = var_tok(&p)?;
    p.bump()?;
    let op = match p.tok {
        Tok::Op("=") => EffectOp::Set,
        Tok::Op("+=") => EffectOp::Add,
        Tok::Op("-=") => EffectOp::Sub,
        Tok::Op("==") => {
            return Err(p.err("`==` compares; an effect assigns with `=`", "here").help(format!("write `{name} = ...`")));
        }
        _ => {
            return Err(p
                .err(format!("expected `=`, `+=` or `-=` after `{name}`, found {}", p.describe()), "expected an assignment")
                .help("effects look like `courage += 1`, `has_key = true` or `toggle lamp`"));
        }
    };
    let (op_s, op_e) = (p.start, p.end);
    p.bump()?;
    if p.tok == Tok::End {
        return Err(p.err("the effect has no value", "expected a value here"));
    }
    let rhs = p.expr(0)?;
    if p.tok != Tok::End {
        return Err(p
            .err(format!("unexpected {} after the effect", p.describe()), "expected the end here")
            .help("write one effect per string: [\"a += 1\", \"b = true\"]"));
    }
    if op != EffectOp::Set && ty != Type::Int {
        return Err(Diagnostic::new(Code::Type, format!("`{}` needs an Int variable; `{name}` is {}", &src[op_s..op_e], type_name(ty)))
            .at(p.span(vs, ve), format!("this is {}", type_name(ty)))
            .help(if ty == Type::Bool {
                format!("use `{name} = true` or `toggle {name}`")
            } else {
                format!("use `{name} = {name} + '...'`")
            }));
    }
    if rhs.ty != ty {
        return Err(Diagnostic::new(Code::Type, format!("`{name}` is {} but the value is {}", type_name(ty), type_name(rhs.ty)))
            .at(p.span(rhs.start, rhs.end), format!("this is {}", type_name(rhs.ty)))
            .also(p.span(vs, ve), format!("declared as {}", type_name(ty))));
    }
    Ok(Effect { var, op, expr: rhs.expr })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::narrative::source::FileId;

    struct S;
    impl Scope for S {
        fn var(&self, name: &str) -> Option<(u32, Type)> {
            match name {
                "courage" => Some((0, Type::Int)),
                "has_key" => Some((1, Type::Bool)),
                "name" => Some((2, Type::Str)),
                _ => None,
            }
        }
        fn node(&self, name: &str) -> Option<u32> {
            (name == "docks").then_some(0)
        }
        fn var_names(&self) -> Vec<&str> {
            vec!["courage", "has_key", "name"]
        }
        fn node_names(&self) -> Vec<&str> {
            vec!["docks"]
        }
    }

    struct E(Vec<Value>);
    impl Env for E {
        fn var(&self, i: u32) -> &Value {
            &self.0[i as usize]
        }
        fn visits(&self, _: u32) -> u32 {
            2
        }
        fn turns(&self) -> u32 {
            7
        }
    }

    fn sp(s: usize, e: usize) -> Span {
        Span::new(FileId(0), s, e)
    }

    fn eval(src: &str) -> Value {
        let (e, _) = parse_expr(src, &sp, &S).unwrap_or_else(|d| panic!("{d:?}"));
        let env = E(vec![Value::Int(3), Value::Bool(true), Value::Str("Wren".into())]);
        e.eval(&env).to_value()
    }

    #[test]
    fn precedence_and_builtins() {
        assert_eq!(eval("1 + 2 * 3"), Value::Int(7));
        assert_eq!(eval("(1 + 2) * 3"), Value::Int(9));
        assert_eq!(eval("courage >= 3 && has_key"), Value::Bool(true));
        assert_eq!(eval("!has_key || visits(docks) == 2"), Value::Bool(true));
        assert_eq!(eval("seen(docks) && turns() > 6"), Value::Bool(true));
        assert_eq!(eval("name + '!'"), Value::Str("Wren!".into()));
        assert_eq!(eval("7 / 0"), Value::Int(0));
        assert_eq!(eval("-courage"), Value::Int(-3));
    }

    #[test]
    fn errors_point_inside_the_expression() {
        let d = parse_expr("courage > 1 && hass_key", &sp, &S).err();
        let d = d.map(|d| (d.code, d.primary_span(), d.help));
        assert_eq!(d, Some((Code::UnknownVariable, Some(sp(15, 23)), Some("did you mean `has_key`?".into()))));
        let d = parse_condition("courage", &sp, &S).err().map(|d| d.code);
        assert_eq!(d, Some(Code::Type));
        let d = parse_expr("courage = 1", &sp, &S).err().map(|d| d.help);
        assert_eq!(d, Some(Some("write `==`".into())));
        let d = parse_expr("seen(dock)", &sp, &S).err().map(|d| (d.code, d.primary_span()));
        assert_eq!(d, Some((Code::UnknownNode, Some(sp(5, 9)))));
    }

    #[test]
    fn effects_are_typed() {
        let e = parse_effect("courage += 2", &sp, &S).map(|e| e.op);
        assert_eq!(e, Ok(EffectOp::Add));
        assert!(parse_effect("toggle has_key", &sp, &S).is_ok());
        let d = parse_effect("courage = 'x'", &sp, &S).err().map(|d| (d.code, d.primary_span()));
        assert_eq!(d, Some((Code::Type, Some(sp(10, 13)))));
        assert!(parse_effect("has_key += 1", &sp, &S).is_err());
        assert!(parse_effect("toggle courage", &sp, &S).is_err());
    }

    #[test]
    fn deep_expressions_are_refused() {
        let src = format!("{}1{}", "(".repeat(500), ")".repeat(500));
        let d = parse_expr(&src, &sp, &S).err().map(|d| d.code);
        assert_eq!(d, Some(Code::TooLarge));
        let src = "!".repeat(100_000) + "true";
        let d = parse_expr(&src, &sp, &S).err().map(|d| d.code);
        assert!(d.is_some());
    }
}
