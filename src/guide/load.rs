//! Reading a guide file and refusing a broken one, with the file, line and fault named.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::{Choice, Guide, Node, NodeBody, NodeHtml, Outcome, Problem, SomethingElse, text};
use crate::domain::outcome::OutcomeKind;

/// One thing wrong with a guide file, at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuideFault {
    /// 1-based line number in the file.
    pub line: usize,
    /// What is wrong, in words.
    pub message: String,
}

/// Why a guide file was refused: every fault found, each with its line.
#[derive(Debug, Clone)]
pub struct GuideError {
    /// The file, as given on the command line.
    pub file: String,
    /// The faults, in file order.
    pub faults: Vec<GuideFault>,
}

impl fmt::Display for GuideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, fault) in self.faults.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}: {}", self.file, fault.line, fault.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for GuideError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuide {
    title: String,
    organisation: String,
    reference_prefix: String,
    #[serde(default)]
    email_programs: Vec<String>,
    #[serde(default, rename = "ending")]
    endings: Vec<Spanned<RawNode>>,
    #[serde(default, rename = "problem")]
    problems: Vec<Spanned<RawProblem>>,
    something_else: Option<Spanned<RawSomethingElse>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSomethingElse {
    symptom: String,
    title: String,
    text: Option<String>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProblem {
    id: Spanned<String>,
    symptom: String,
    title: String,
    start: Option<Spanned<String>>,
    #[serde(default, rename = "step")]
    steps: Vec<Spanned<RawNode>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    id: Spanned<String>,
    number: Option<String>,
    title: String,
    text: Option<String>,
    #[serde(default)]
    checklist: Vec<String>,
    choices: Option<Vec<Spanned<RawChoice>>>,
    outcome: Option<RawOutcome>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    label: String,
    next: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutcome {
    kind: OutcomeKind,
    reason: Option<String>,
    tell_isp: Option<String>,
}

/// Turns byte offsets into 1-based line numbers.
struct Lines<'a>(&'a str);

impl Lines<'_> {
    fn at(&self, span: Range<usize>) -> usize {
        let end = span.start.min(self.0.len());
        self.0.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }
}

pub(super) fn parse(file: &str, source: &str) -> Result<Guide, GuideError> {
    let lines = Lines(source);
    let raw: RawGuide = toml::from_str(source).map_err(|e| GuideError {
        file: file.to_string(),
        faults: vec![GuideFault {
            line: e.span().map(|s| lines.at(s)).unwrap_or(1),
            message: e.message().trim().to_string(),
        }],
    })?;

    let mut faults = Vec::new();
    let mut fault = |span: Range<usize>, message: String| {
        faults.push(GuideFault {
            line: lines.at(span),
            message,
        })
    };

    let mut ending_ids = HashSet::new();
    for ending in &raw.endings {
        check_node(ending, "ending", &mut fault);
        if !ending_ids.insert(ending.get_ref().id.get_ref().as_str()) {
            let id = &ending.get_ref().id;
            fault(
                id.span(),
                format!("duplicate id `{}`: another ending has it", id.get_ref()),
            );
        }
        if ending.get_ref().outcome.is_none() {
            fault(
                ending.span(),
                format!("ending `{}` has no outcome", ending.get_ref().id.get_ref()),
            );
        }
    }

    if raw.problems.is_empty() {
        fault(0..0, "the guide has no [[problem]]".to_string());
    }
    let mut problem_ids = HashSet::new();
    for problem in &raw.problems {
        let p = problem.get_ref();
        let pid = p.id.get_ref();
        check_id(&p.id, "problem", &mut fault);
        if !problem_ids.insert(pid.as_str()) {
            fault(
                p.id.span(),
                format!("duplicate id `{pid}`: another problem has it"),
            );
        }
        let mut steps: HashMap<&str, &RawNode> = HashMap::new();
        for step in &p.steps {
            let s = step.get_ref();
            let sid = s.id.get_ref().as_str();
            check_node(step, &format!("step of problem `{pid}`"), &mut fault);
            if steps.insert(sid, s).is_some() {
                fault(
                    s.id.span(),
                    format!("duplicate id `{sid}`: problem `{pid}` has another step with it"),
                );
            } else if ending_ids.contains(sid) {
                fault(
                    s.id.span(),
                    format!(
                        "duplicate id `{sid}`: step of problem `{pid}` has the id of an ending"
                    ),
                );
            }
        }
        let known = |id: &str| steps.contains_key(id) || ending_ids.contains(id);
        for step in &p.steps {
            for choice in step.get_ref().choices.iter().flatten() {
                let next = &choice.get_ref().next;
                if !known(next.get_ref()) {
                    fault(
                        next.span(),
                        format!(
                            "dangling target: `next = \"{}\"` in step `{}` of problem `{pid}` names no step of that problem and no ending",
                            next.get_ref(),
                            step.get_ref().id.get_ref()
                        ),
                    );
                }
            }
        }
        let start = match &p.start {
            None => {
                fault(
                    problem.span(),
                    format!("problem `{pid}` has no start: add `start = \"<step id>\"`"),
                );
                continue;
            }
            Some(start) if start.get_ref().trim().is_empty() => {
                fault(
                    start.span(),
                    format!("problem `{pid}` has no start: `start` is empty"),
                );
                continue;
            }
            Some(start) if !steps.contains_key(start.get_ref().as_str()) => {
                fault(
                    start.span(),
                    format!(
                        "problem `{pid}` has no start: `start = \"{}\"` names no step of that problem",
                        start.get_ref()
                    ),
                );
                continue;
            }
            Some(start) => start.get_ref().as_str(),
        };
        let reachable = walk(start, |id| next_ids(&steps, id));
        for step in &p.steps {
            let sid = step.get_ref().id.get_ref().as_str();
            if !reachable.contains(sid) {
                fault(
                    step.get_ref().id.span(),
                    format!(
                        "unreachable step `{sid}` in problem `{pid}`: no choice leads to it from the start `{start}`"
                    ),
                );
            }
        }
        // A step "has a way forward" when some outcome can be reached from it, so a loop of
        // steps that never ends is refused as firmly as a step without choices.
        for step in &p.steps {
            let s = step.get_ref();
            let sid = s.id.get_ref().as_str();
            if !reachable.contains(sid) || s.choices.as_ref().is_none_or(|c| c.is_empty()) {
                continue;
            }
            let ahead = walk(sid, |id| next_ids(&steps, id));
            let ends = ahead.iter().any(|id| {
                ending_ids.contains(id) || steps.get(id).is_some_and(|s| s.outcome.is_some())
            });
            if !ends {
                fault(
                    s.id.span(),
                    format!(
                        "step `{sid}` in problem `{pid}` has no way forward: none of its choices ever reaches an outcome"
                    ),
                );
            }
        }
    }

    if let Some(other) = &raw.something_else {
        let o = other.get_ref();
        for (field, value) in [
            ("symptom", &o.symptom),
            ("title", &o.title),
            ("reason", &o.reason),
        ] {
            if value.trim().is_empty() {
                fault(
                    other.span(),
                    format!("[something_else] has an empty `{field}`"),
                );
            }
        }
    }

    if !faults.is_empty() {
        faults.sort_by_key(|f| f.line);
        return Err(GuideError {
            file: file.to_string(),
            faults,
        });
    }

    Ok(Guide {
        version: version_of(source),
        source: Arc::from(source),
        title: raw.title,
        organisation: raw.organisation,
        reference_prefix: raw.reference_prefix,
        email_programs: raw.email_programs,
        endings: raw
            .endings
            .into_iter()
            .map(|n| node(n.into_inner()))
            .collect(),
        problems: raw
            .problems
            .into_iter()
            .map(|p| {
                let p = p.into_inner();
                let steps: Vec<Node> = p.steps.into_iter().map(|s| node(s.into_inner())).collect();
                // The shared endings this problem's choices lead to: the only ones that are pages
                // of this problem.
                let mut endings: Vec<String> = steps
                    .iter()
                    .flat_map(|s| s.choices().iter().map(|c| c.next.clone()))
                    .filter(|next| !steps.iter().any(|s| s.id == *next))
                    .collect();
                endings.sort();
                endings.dedup();
                Problem {
                    id: p.id.into_inner(),
                    symptom: p.symptom,
                    title: p.title,
                    start: p.start.map(Spanned::into_inner).unwrap_or_default(),
                    steps,
                    endings,
                }
            })
            .collect(),
        something_else: raw.something_else.map(|o| {
            let o = o.into_inner();
            let text = paragraphs(o.text);
            SomethingElse {
                html: text.iter().map(|t| text::rich(t)).collect(),
                symptom: o.symptom,
                title: o.title,
                text,
                reason: o.reason,
            }
        }),
    })
}

/// The version a guide's content is stored under: hex SHA-256.
pub(super) fn version_of(source: &str) -> String {
    Sha256::digest(source.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every id reachable from `start` (itself included) by following `next`.
fn walk<'a>(start: &'a str, next: impl Fn(&'a str) -> Vec<&'a str>) -> HashSet<&'a str> {
    let mut seen = HashSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some(id) = queue.pop_front() {
        for n in next(id) {
            if seen.insert(n) {
                queue.push_back(n);
            }
        }
    }
    seen
}

/// Where step `id`'s choices lead: nowhere if it is not one of `steps` (an ending).
fn next_ids<'a>(steps: &HashMap<&'a str, &'a RawNode>, id: &str) -> Vec<&'a str> {
    steps
        .get(id)
        .map(|s| {
            s.choices
                .iter()
                .flatten()
                .map(|c| c.get_ref().next.get_ref().as_str())
                .collect()
        })
        .unwrap_or_default()
}

fn check_id(id: &Spanned<String>, what: &str, fault: &mut impl FnMut(Range<usize>, String)) {
    let s = id.get_ref();
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        fault(
            id.span(),
            format!("invalid {what} id `{s}`: use 1 to 64 lowercase letters, digits and hyphens"),
        );
    }
}

fn check_node(node: &Spanned<RawNode>, what: &str, fault: &mut impl FnMut(Range<usize>, String)) {
    let n = node.get_ref();
    let id = n.id.get_ref();
    check_id(&n.id, what, fault);
    if n.title.trim().is_empty() {
        fault(node.span(), format!("{what} `{id}` has an empty title"));
    }
    match (&n.choices, &n.outcome) {
        (Some(_), Some(_)) => fault(
            node.span(),
            format!("{what} `{id}` has both `choices` and an `outcome`: give it one or the other"),
        ),
        (None, None) | (Some(_), None) if n.choices.as_ref().is_none_or(|c| c.is_empty()) => fault(
            n.id.span(),
            format!("{what} `{id}` has no way forward: give it `choices` or an `outcome`"),
        ),
        _ => {}
    }
    for choice in n.choices.iter().flatten() {
        if choice.get_ref().label.trim().is_empty() {
            fault(
                choice.span(),
                format!("a choice of {what} `{id}` has an empty label"),
            );
        }
    }
    if let Some(o) = &n.outcome
        && o.kind == OutcomeKind::NotInGuide
    {
        fault(
            node.span(),
            format!(
                "{what} `{id}` has the outcome `not-in-guide`, which is kept for problems the guide does not cover; use `iims-support` or `guide-ended`"
            ),
        );
    }
    if let Some(o) = &n.outcome
        && o.kind.escalates()
        && o.reason.as_deref().is_none_or(|r| r.trim().is_empty())
    {
        fault(
            node.span(),
            format!(
                "{what} `{id}` escalates (`{}`) but gives no `reason` for the ticket",
                o.kind.as_str()
            ),
        );
    }
}

/// A text field's paragraphs: split at blank lines, trimmed.
fn paragraphs(text: Option<String>) -> Vec<String> {
    text.map(|t| {
        t.split("\n\n")
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

fn node(raw: RawNode) -> Node {
    let mut node = Node {
        id: raw.id.into_inner(),
        number: raw.number,
        title: raw.title,
        text: paragraphs(raw.text),
        checklist: raw.checklist,
        body: match (raw.outcome, raw.choices) {
            (Some(o), _) => NodeBody::Outcome(Outcome {
                kind: o.kind,
                reason: o.reason,
                tell_isp: o.tell_isp,
            }),
            (None, choices) => NodeBody::Choices(
                choices
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| {
                        let c = c.into_inner();
                        Choice {
                            label: c.label,
                            next: c.next.into_inner(),
                        }
                    })
                    .collect(),
            ),
        },
        html: NodeHtml::default(),
    };
    node.html = NodeHtml::of(&node);
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_guide_is_valid() {
        let guide = parse("guide.toml", crate::guide::DEFAULT_GUIDE).unwrap();
        assert_eq!(guide.problems.len(), 6);
        assert_eq!(guide.version.len(), 64);
    }

    #[test]
    fn line_numbers_count_from_one() {
        let lines = Lines("a\nb\nc");
        assert_eq!(lines.at(0..1), 1);
        assert_eq!(lines.at(2..3), 2);
        assert_eq!(lines.at(4..5), 3);
    }
}
