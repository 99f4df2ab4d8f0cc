//! Synthetic but realistic traffic for benchmarks, insights and demos: visits that walk the guide
//! the way customers do (most are fixed by an early step, some give up, some escalate), at the
//! hours customers write in, and tickets that have moved through the workflow as their age says.
//!
//! Deterministic for a given seed, so a benchmark database can be rebuilt exactly.

use crate::domain::outcome::OutcomeKind;
use crate::domain::path::{Event, EventKind, Path};
use crate::domain::synthetic::{SyntheticTicket, SyntheticVisit};
use crate::domain::time::{Timestamp, Zone};
use crate::guide::Guide;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedPlan {
    /// At least this many tickets (escalations the customer sent in).
    pub tickets: usize,
    /// At least this many path events in all.
    pub events: usize,
    /// Spread over this many days before `now`.
    pub days: u32,
    /// The random seed.
    pub seed: u64,
    /// The end of the period.
    pub now: Timestamp,
    /// The installation's zone: customers write in during its working day.
    pub zone: Zone,
    /// Whether customers send in their escalations (tickets); `false` leaves them all unsent.
    pub send: bool,
}

/// A small deterministic random source (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A source for `seed` (never zero inside).
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// An index picked by `weights`.
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

const FIRST: &[&str] = &[
    "Ann", "Bob", "Carla", "Dev", "Elena", "Frank", "Grace", "Hiro", "Ines", "Jamal", "Kim",
    "Luis", "Maya", "Nils", "Olu", "Priya",
];
const LAST: &[&str] = &[
    "Smith", "Garcia", "Chen", "Okafor", "Novak", "Rossi", "Kowalski", "Haddad", "Jensen",
    "Tanaka", "Murphy", "Silva",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "example.net",
    "example.org",
    "acme.example",
    "shop.example",
    "law.example",
    "clinic.example",
];
const WORDS: &[&str] = &[
    "It started this morning.",
    "Nothing changed on my computer.",
    "My colleague has the same problem.",
    "I restarted twice.",
    "The error mentions the server.",
    "It worked yesterday.",
];
/// Customers write in during the working day: relative weight of each local hour.
const HOURS: [u64; 24] = [
    1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 11, 12, 13, 12, 10, 8, 6, 5, 4, 3, 2, 1,
];
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Generates visits until the plan's tickets and events are both reached.
pub fn generate(
    guide: &Guide,
    plan: &SeedPlan,
    mut sink: impl FnMut(SyntheticVisit),
) -> (usize, usize) {
    let mut rng = Rng::new(plan.seed);
    let (mut tickets, mut events) = (0usize, 0usize);
    // Problems are not equally common: "can't send" and password prompts lead.
    let problem_weights: Vec<u64> = (0..guide.problems.len())
        .map(|i| [30, 15, 20, 18, 9, 8].get(i).copied().unwrap_or(10))
        .collect();
    while (plan.send && tickets < plan.tickets) || events < plan.events {
        let problem = &guide.problems[rng.weighted(&problem_weights)];
        let day = rng.below(plan.days.max(1) as u64) as i64;
        // Hours count from local midnight, so the busy hours land where customers are awake.
        let midnight = plan
            .zone
            .start_of_day(plan.zone.local_day(plan.now) - day)
            .millis();
        let start = midnight
            + rng.weighted(&HOURS) as i64 * HOUR
            + rng.below(60) as i64 * MINUTE
            + rng.below(60_000) as i64;
        // Today's later hours have not happened yet: such a visit took place a day earlier.
        let start = if start >= plan.now.millis() - MINUTE {
            start - DAY
        } else {
            start
        };
        let mut at = start;
        let mut list = Vec::new();
        let push = |list: &mut Vec<Event>,
                    at: i64,
                    kind: EventKind,
                    node: &str,
                    choice: Option<(i64, &str)>,
                    outcome: Option<OutcomeKind>| {
            list.push(Event {
                id: 0,
                seq: list.len() as i64 + 1,
                at: Timestamp(at),
                kind,
                guide_version: guide.version.as_str().into(),
                problem_id: problem.id.as_str().into(),
                node_id: node.into(),
                choice_index: choice.map(|c| c.0),
                next_id: choice.map(|c| c.1.into()),
                outcome_kind: outcome.map(|k| k.as_str().into()),
            });
        };
        push(
            &mut list,
            at,
            EventKind::Symptom,
            &problem.start,
            None,
            None,
        );
        let mut node = guide.node(problem, &problem.start).expect("valid guide");
        let mut ending = None;
        for _ in 0..16 {
            if let Some(outcome) = node.outcome() {
                ending = Some((node, outcome));
                break;
            }
            // Some customers give up on a step and never come back.
            if rng.chance(0.10) {
                break;
            }
            at += 20_000 + rng.below(4 * MINUTE as u64) as i64;
            let choices = node.choices();
            // The first answer is usually "that fixed it"; it helps about a third of the time.
            let weights: Vec<u64> = (0..choices.len())
                .map(|i| {
                    if i == 0 {
                        35
                    } else {
                        65 / (choices.len() as u64 - 1).max(1)
                    }
                })
                .collect();
            let i = rng.weighted(&weights);
            let next = &choices[i].next;
            push(
                &mut list,
                at,
                EventKind::Choice,
                &node.id,
                Some((i as i64, next)),
                None,
            );
            node = guide.node(problem, next).expect("valid guide");
            at += 200 + rng.below(1500) as i64;
            match node.outcome() {
                Some(o) => push(
                    &mut list,
                    at,
                    EventKind::Outcome,
                    &node.id,
                    None,
                    Some(o.kind),
                ),
                None => push(&mut list, at, EventKind::Shown, &node.id, None, None),
            }
        }
        let mut ticket = None;
        if let Some((end, outcome)) = ending
            && outcome.kind.escalates()
            && plan.send
            && tickets < plan.tickets
            && rng.chance(0.85)
        {
            let created = at + MINUTE + rng.below(4 * MINUTE as u64) as i64;
            let (first, last) = (
                FIRST[rng.below(FIRST.len() as u64) as usize],
                LAST[rng.below(LAST.len() as u64) as usize],
            );
            let domain = DOMAINS[rng.below(DOMAINS.len() as u64) as usize];
            ticket = Some(SyntheticTicket {
                name: format!("{first} {last}"),
                email: format!(
                    "{}.{}{}@{domain}",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    rng.below(1000)
                ),
                account: rng.chance(0.6).then(|| domain.to_string()),
                email_program: guide
                    .email_programs
                    .get(rng.below(guide.email_programs.len().max(1) as u64) as usize)
                    .cloned()
                    .unwrap_or_default(),
                description: if rng.chance(0.7) {
                    WORDS[rng.below(WORDS.len() as u64) as usize].to_string()
                } else {
                    String::new()
                },
                outcome_kind: outcome.kind,
                reason: outcome.reason.clone().unwrap_or_default(),
                ending_id: end.id.clone(),
                problem_id: problem.id.clone(),
                created_at: Timestamp(created),
                changes: workflow(&mut rng, created, plan.now.millis()),
                path: Path::replay(&list),
            });
        }
        events += list.len();
        tickets += usize::from(ticket.is_some());
        sink(SyntheticVisit {
            id: uuid::Builder::from_random_bytes(random_bytes(&mut rng)).into_uuid(),
            events: list,
            ticket,
        });
    }
    (tickets, events)
}

fn random_bytes(rng: &mut Rng) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&rng.next_u64().to_le_bytes());
    bytes
}

/// The status changes a ticket opened at `created` has had by `now`, as its age makes likely.
fn workflow(rng: &mut Rng, created: i64, now: i64) -> Vec<(Timestamp, &'static str)> {
    let mut changes = Vec::new();
    let mut at = created;
    let mut step =
        |rng: &mut Rng, min: i64, spread: i64, status: &'static str, changes: &mut Vec<_>| {
            let next = at + min + rng.below(spread as u64) as i64;
            if next < now {
                at = next;
                changes.push((Timestamp(next), status));
                true
            } else {
                false
            }
        };
    if !step(rng, 5 * MINUTE, 6 * HOUR, "in-progress", &mut changes) {
        return changes;
    }
    if rng.chance(0.3)
        && !step(
            rng,
            10 * MINUTE,
            8 * HOUR,
            "waiting-on-customer",
            &mut changes,
        )
    {
        return changes;
    }
    if !step(rng, 30 * MINUTE, 2 * DAY, "resolved", &mut changes) {
        return changes;
    }
    step(rng, DAY, 3 * DAY, "closed", &mut changes);
    changes
}
