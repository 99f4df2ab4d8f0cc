//! A broken guide file is refused with the file, the line and the fault named, both when the
//! server starts and by `helpdesk check-guide`.

use std::process::Command;

use helpdesk::guide::{DEFAULT_GUIDE, Guide};

/// A small valid guide; each test breaks one thing in it.
const SMALL: &str = r#"title = "Test guide"
organisation = "IIMS"
reference_prefix = "IIMS"

[[ending]]
id = "fixed"
title = "Fixed"
outcome = { kind = "resolved" }

[[problem]]
id = "p"
symptom = "Something"
title = "Something is wrong"
start = "one"

[[problem.step]]
id = "one"
number = "1"
title = "Do one thing"
choices = [
  { label = "Fixed", next = "fixed" },
  { label = "Still broken", next = "two" },
]

[[problem.step]]
id = "two"
number = "2"
title = "Contact IIMS"
outcome = { kind = "iims-support", reason = "Still broken" }
"#;

fn faults(source: &str) -> Vec<(usize, String)> {
    match Guide::parse("guide.toml", source) {
        Ok(_) => Vec::new(),
        Err(e) => {
            assert!(e.to_string().starts_with("guide.toml:"), "{e}");
            e.faults.into_iter().map(|f| (f.line, f.message)).collect()
        }
    }
}

fn line_of(source: &str, needle: &str) -> usize {
    source
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle")
        + 1
}

#[test]
fn the_small_guide_and_the_shipped_guide_are_valid() {
    assert_eq!(faults(SMALL), Vec::new());
    assert_eq!(faults(DEFAULT_GUIDE), Vec::new());
}

#[test]
fn a_dangling_target_is_named_with_its_line() {
    let broken = SMALL.replace(r#"next = "two""#, r#"next = "three""#);
    let f = faults(&broken);
    assert!(
        f.iter().any(|(line, m)| *line == line_of(&broken, "three")
            && m.contains("dangling target")
            && m.contains("three")),
        "{f:?}"
    );
}

#[test]
fn an_unreachable_step_is_named_with_its_line() {
    let broken = format!(
        "{SMALL}\n[[problem.step]]\nid = \"orphan\"\ntitle = \"Nobody gets here\"\noutcome = {{ kind = \"resolved\" }}\n"
    );
    let f = faults(&broken);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, line_of(&broken, "\"orphan\""));
    assert!(f[0].1.contains("unreachable step `orphan`"), "{f:?}");
}

#[test]
fn a_step_with_no_way_forward_is_named_with_its_line() {
    // No choices and no outcome.
    let broken = SMALL.replace(
        "outcome = { kind = \"iims-support\", reason = \"Still broken\" }",
        "",
    );
    let f = faults(&broken);
    assert!(
        f.iter()
            .any(|(line, m)| *line == line_of(&broken, "id = \"two\"")
                && m.contains("no way forward")),
        "{f:?}"
    );
    // Choices that only go round in circles.
    let looping = SMALL
        .replace("{ label = \"Fixed\", next = \"fixed\" },", "{ label = \"Again\", next = \"one\" },")
        .replace("{ label = \"Still broken\", next = \"two\" },", "")
        .replace("[[problem.step]]\nid = \"two\"\nnumber = \"2\"\ntitle = \"Contact IIMS\"\noutcome = { kind = \"iims-support\", reason = \"Still broken\" }\n", "");
    let f = faults(&looping);
    assert!(
        f.iter()
            .any(|(_, m)| m
                .contains("has no way forward: none of its choices ever reaches an outcome")),
        "{f:?}"
    );
}

#[test]
fn a_duplicate_id_is_named_with_its_line() {
    let broken = SMALL
        .replace("id = \"two\"", "id = \"one\"")
        .replace("next = \"two\"", "next = \"one\"");
    let f = faults(&broken);
    let second = broken
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("id = \"one\""))
        .nth(1)
        .unwrap()
        .0
        + 1;
    assert!(
        f.iter()
            .any(|(line, m)| *line == second && m.contains("duplicate id `one`")),
        "{f:?}"
    );
}

#[test]
fn a_problem_with_no_start_is_named_with_its_line() {
    let broken = SMALL.replace("start = \"one\"\n", "");
    let f = faults(&broken);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, line_of(&broken, "[[problem]]"));
    assert!(f[0].1.contains("problem `p` has no start"), "{f:?}");
    let broken = SMALL.replace("start = \"one\"", "start = \"\"");
    assert!(faults(&broken)[0].1.contains("has no start"));
}

#[test]
fn syntax_errors_unknown_fields_and_unknown_kinds_name_their_line() {
    let broken = SMALL.replace("title = \"Do one thing\"", "title = \"Do one thing");
    let f = faults(&broken);
    assert_eq!(f[0].0, line_of(&broken, "Do one thing"), "{f:?}");
    let broken = SMALL.replace("number = \"2\"", "numbr = \"2\"");
    let f = faults(&broken);
    assert_eq!(f[0].0, line_of(&broken, "numbr"), "{f:?}");
    assert!(f[0].1.contains("numbr"), "{f:?}");
    let broken = SMALL.replace("kind = \"iims-support\"", "kind = \"call-a-friend\"");
    let f = faults(&broken);
    assert_eq!(f[0].0, line_of(&broken, "call-a-friend"), "{f:?}");
}

#[test]
fn an_escalation_without_a_reason_is_refused() {
    let broken = SMALL.replace(", reason = \"Still broken\"", "");
    let f = faults(&broken);
    assert!(
        f.iter().any(|(_, m)| m.contains("gives no `reason`")),
        "{f:?}"
    );
}

#[test]
fn check_guide_validates_without_serving_and_serve_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, SMALL).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .arg("check-guide")
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok: 1 problems"));

    let bad = dir.path().join("bad.toml");
    let broken = SMALL.replace(r#"next = "two""#, r#"next = "three""#);
    std::fs::write(&bad, &broken).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .arg("check-guide")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "{}:{}: dangling target",
        bad.display(),
        line_of(&broken, "three")
    );
    assert!(stderr.contains(&expected), "{stderr}");

    // The server refuses to start on it, with the same message, before touching the database.
    let db = dir.path().join("never.db");
    let out = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["serve", "--listen", "127.0.0.1:0", "--guide"])
        .arg(&bad)
        .arg("--database-url")
        .arg(format!("sqlite://{}", db.display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&expected));
    assert!(!db.exists());

    // And the embedded default passes.
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/content/iims-email-guide.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["check-guide", shipped])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok: 6 problems"));
}
