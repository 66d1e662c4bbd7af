//! What a reader can type that the story can tell apart. A text input can take any
//! line, but the story only ever compares its variable with string literals (`name ==
//! 'Mara'`), so every input falls into one of a few classes: each typeable literal it
//! is compared with, the input's default, and "anything else". Exploration follows
//! each class and random play picks among them, so no ending gated on typed text is
//! wrongly called unreachable.

use super::expr::{BinOp, Expr};
use super::runner::clean_input;
use super::story::{Input, Story};

/// Per variable: the string literals it is compared with, as a reader could type
/// them (trimmed, within the length limit, without braces), sorted.
pub fn compared_literals(story: &Story) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new(); story.vars.len()];
    let mut visit = |e: &Expr| walk(e, &mut out);
    for n in &story.nodes {
        n.each_condition_and_text_expr(&mut visit);
        n.each_effect().for_each(|e| visit(&e.expr));
    }
    for lits in &mut out {
        lits.retain(|l| clean_input(l, "") == *l);
        lits.sort();
        lits.dedup();
    }
    out
}

fn walk(e: &Expr, out: &mut [Vec<String>]) {
    match e {
        Expr::Bin(BinOp::Eq | BinOp::Ne, ab) => match &**ab {
            [Expr::Var(v), Expr::Str(s)] | [Expr::Str(s), Expr::Var(v)] => {
                if let Some(l) = out.get_mut(*v as usize) {
                    l.push(s.to_string());
                }
            }
            [a, b] => {
                walk(a, out);
                walk(b, out);
            }
        },
        Expr::Not(a) | Expr::Neg(a) => walk(a, out),
        Expr::Bin(_, ab) => {
            let [a, b] = &**ab;
            walk(a, out);
            walk(b, out);
        }
        _ => {}
    }
}

/// The values worth typing at `input`: its default, each literal its variable is
/// compared with, and one line that is none of them ("anything else").
pub fn classes(input: &Input, literals: &[Vec<String>]) -> Vec<String> {
    let mut out = vec![input.default.clone()];
    for l in literals.get(input.var as usize).into_iter().flatten() {
        if !out.contains(l) {
            out.push(l.clone());
        }
    }
    let other = (0..).map(|i| if i == 0 { "something else".to_string() } else { format!("something else {i}") }).find(|o| !out.contains(o));
    out.extend(other);
    out
}
