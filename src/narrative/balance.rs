//! What a story's economy of choices does: which choice points never matter. (The
//! sampled parts of the balance report, ending shares and distributions, come from
//! [`super::guided`]; exact ranges from [`super::explore`].)

use super::story::{Flow, Story};

/// Nodes offering two or more choices where no option changes anything later: every
/// option ends up at the same node (directly, or through its own inline reply), and
/// none writes a variable that a condition, a text, an expectation or an ending reads,
/// nor reaches a node whose visits are read. Such a choice is flavour, which is often
/// what the writer wants; the report lists them so it is a decision, not an accident.
pub fn idle_choice_points(story: &Story) -> Vec<u32> {
    let mut read = vec![false; story.vars.len()];
    let mut visits_read = vec![false; story.nodes.len()];
    let mark = |e: &super::expr::Expr, read: &mut Vec<bool>, visits: &mut Vec<bool>| {
        e.each_var(&mut |v| read[v as usize] = true);
        e.each_node(&mut |n| visits[n as usize] = true);
    };
    for n in &story.nodes {
        n.each_condition_and_text_expr(&mut |e| mark(e, &mut read, &mut visits_read));
        // An effect that reads a variable into another keeps the first one alive.
        for eff in n.each_effect() {
            eff.expr.each_var(&mut |v| {
                if v != eff.var {
                    read[v as usize] = true;
                }
            });
        }
    }
    for t in &story.ending_texts {
        t.each_expr(&mut |e| mark(e, &mut read, &mut visits_read));
    }
    for inv in &story.invariants {
        mark(&inv.expr, &mut read, &mut visits_read);
    }
    for c in &story.characters {
        c.name.each_expr(&mut |e| mark(e, &mut read, &mut visits_read));
    }
    let mut out = Vec::new();
    for (i, n) in story.nodes.iter().enumerate() {
        let live: Vec<_> = n.choices.iter().filter(|c| !c.fallback()).collect();
        if live.len() < 2 || !matches!(n.flow, Flow::Choices) {
            continue;
        }
        let mut target = None;
        let mut idle = true;
        for c in &live {
            if c.returns_to().is_some() || c.input().is_some() || c.effects.iter().any(|e| read[e.var as usize]) {
                idle = false;
                break;
            }
            // Follow the option's own reply node (it belongs to this choice alone).
            let mut to = c.to;
            let reply = story.node(to);
            if reply.id.starts_with(&format!("{}~", n.id)) {
                if visits_read[to as usize] || reply.effects.iter().any(|e| read[e.var as usize]) || !reply.choices.is_empty() {
                    idle = false;
                    break;
                }
                match reply.flow {
                    Flow::Goto(t) => to = t,
                    _ => {
                        idle = false;
                        break;
                    }
                }
            } else if visits_read[to as usize] {
                idle = false;
                break;
            }
            match target {
                None => target = Some(to),
                Some(t) if t == to => {}
                Some(_) => {
                    idle = false;
                    break;
                }
            }
        }
        // A hub the reader comes back to: its once-only choices shape what is left.
        if idle && target != Some(i as u32) {
            out.push(i as u32);
        }
    }
    out
}
