//! `radaudit slurm COMMAND ... --parts N`: a Slurm job array that runs a long command in
//! `N` parts (`--shard $SLURM_ARRAY_TASK_ID/N`), and a merge job that runs after every
//! task succeeded (`--dependency=afterok`). radaudit has no scheduler of its own: it
//! writes the two batch scripts and, with `--submit`, hands them to `sbatch`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use super::Command;
use crate::shard::part_dir;
use crate::table::write_atomic;

/// Help text after the options.
pub const AFTER_HELP: &str = "\
Examples:
  radaudit slurm extract --cohort cohort.csv --config pyradiomics-default \\
      --out features.csv --parts 50 --time 01:00:00 --mem 4G --submit
  radaudit slurm null --n 100 --prevalence 0.5 --candidates 1000 \\
      --selected 10 --design cv --reps 10000 --out null.json --parts 20 --dry-run

Commands: extract --cohort, perturb, null, audit. The scripts and Slurm logs go to
OUT.parts/ (slurm-array.sh, slurm-merge.sh); task I runs
`radaudit COMMAND ... --shard I/N`, skipping a part already complete, so
resubmitting after a failure redoes only the missing parts. Options of
`slurm` may come before or after the command; an option the command also
has (e.g. `cv --time`) belongs to the command when it comes after it.";

/// Arguments of `radaudit slurm`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Parts, one array task each (Slurm allows at most 1001 by default).
    #[arg(long)]
    pub parts: Option<usize>,
    /// Slurm partition (`#SBATCH --partition`).
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit per task (`#SBATCH --time`, e.g. 01:00:00).
    #[arg(long)]
    pub time: Option<String>,
    /// Memory per task (`#SBATCH --mem`, e.g. 4G).
    #[arg(long)]
    pub mem: Option<String>,
    /// Most tasks running at once (`--array=0-(N-1)%K`).
    #[arg(long)]
    pub max_running: Option<usize>,
    /// Submit the array and the merge job with sbatch.
    #[arg(long)]
    pub submit: bool,
    /// Print the scripts; write and submit nothing.
    #[arg(long, conflicts_with = "submit")]
    pub dry_run: bool,
    /// The radaudit command and its arguments, e.g. `extract --cohort c.csv --out f.csv`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

/// A validated job: what the scripts need.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The command and its arguments (without `--shard`).
    pub argv: Vec<String>,
    /// Parts `N`.
    pub parts: usize,
    /// `#SBATCH` options shared by both scripts (`--partition=...`).
    pub options: Vec<String>,
    /// `%K` of the array.
    pub max_running: Option<usize>,
    /// The radaudit binary.
    pub exe: PathBuf,
    /// Working folder of the tasks (the current folder).
    pub cwd: PathBuf,
    /// Output of the merge.
    pub out: PathBuf,
    /// Folder of the parts, scripts and logs.
    pub parts_dir: PathBuf,
}

/// Slurm options `slurm` takes from after the command; `true` when it takes a value.
const OWN_FLAGS: [(&str, bool); 7] = [
    ("parts", true),
    ("partition", true),
    ("time", true),
    ("mem", true),
    ("max-running", true),
    ("submit", false),
    ("dry-run", false),
];

/// Runs `slurm`.
///
/// # Errors
/// A command that cannot be sharded or does not parse, paths Slurm cannot take, sbatch
/// failures.
pub fn run(mut args: Args) -> anyhow::Result<ExitCode> {
    take_own_flags(&mut args)?;
    let job = validate(&args)?;
    let (array, merge) = scripts(&job)?;
    let array_path = job.parts_dir.join("slurm-array.sh");
    let merge_path = job.parts_dir.join("slurm-merge.sh");
    if args.dry_run {
        print!(
            "# ---- {} ----\n{array}\n# ---- {} ----\n{merge}",
            array_path.display(),
            merge_path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }

    // Slurm does not create the folder of --output files: make it first.
    write_atomic(&array_path, array.as_bytes())?;
    write_atomic(&merge_path, merge.as_bytes())?;
    if !args.submit {
        println!(
            "jid=$(sbatch --parsable {}) && sbatch --dependency=afterok:$jid {}",
            sh_quote(&array_path.to_string_lossy()),
            sh_quote(&merge_path.to_string_lossy())
        );
        return Ok(ExitCode::SUCCESS);
    }
    let array_id = sbatch([array_path.as_os_str()])?;
    let dependency = format!("--dependency=afterok:{array_id}");
    // An afterok job whose array failed would stay pending for ever (slurm-local.md, 8).
    let merge_id = sbatch([
        OsStr::new(&dependency),
        OsStr::new("--kill-on-invalid-dep=yes"),
        merge_path.as_os_str(),
    ])?;
    tracing::info!(
        "submitted array job {array_id} ({} tasks) and merge job {merge_id}; logs in {}",
        job.parts,
        job.parts_dir.display()
    );
    println!("array_job={array_id}\nmerge_job={merge_id}");
    Ok(ExitCode::SUCCESS)
}

/// The array script and the merge script of `job`.
///
/// # Errors
/// Paths or options with characters an `#SBATCH` line cannot hold (spaces, quotes).
pub fn scripts(job: &Job) -> anyhow::Result<(String, String)> {
    let dir = plain(&job.parts_dir)?;
    let n = job.parts;
    let limit = job.max_running.map(|k| format!("%{k}")).unwrap_or_default();
    let command = job.argv.first().map(String::as_str).unwrap_or("radaudit");
    let options: String = job
        .options
        .iter()
        .map(|o| format!("#SBATCH {o}\n"))
        .collect();
    let exe = sh_quote(&job.exe.to_string_lossy());
    let cwd = sh_quote(&job.cwd.to_string_lossy());
    let argv: Vec<String> = job.argv.iter().map(|a| sh_quote(a)).collect();

    let array = format!(
        "#!/bin/bash\n\
         #SBATCH --job-name=radaudit-{command}\n\
         #SBATCH --array=0-{last}{limit}\n\
         #SBATCH --output={dir}/slurm-%A_%a.out\n\
         {options}\
         # Part $SLURM_ARRAY_TASK_ID of {n}; a part already complete is skipped.\n\
         set -euo pipefail\n\
         cd {cwd}\n\
         exec {exe} {args} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\"\n",
        last = n - 1,
        args = argv.join(" "),
    );
    let merge = format!(
        "#!/bin/bash\n\
         #SBATCH --job-name=radaudit-{command}-merge\n\
         #SBATCH --output={dir}/slurm-merge-%j.out\n\
         #SBATCH --kill-on-invalid-dep=yes\n\
         {options}\
         # Submit with --dependency=afterok:<array job id>.\n\
         set -euo pipefail\n\
         cd {cwd}\n\
         exec {exe} merge {parts} --out {out}\n",
        parts = format!("{}/part-*-of-{n:04}-*.json", sh_quote(&dir)),
        out = sh_quote(&job.out.to_string_lossy()),
    );
    Ok((array, merge))
}

/// Moves `slurm`'s own options given after the command out of the command's arguments,
/// unless the command has an option of the same name.
fn take_own_flags(args: &mut Args) -> anyhow::Result<()> {
    let Some(name) = args.command.first().cloned() else {
        anyhow::bail!("give the command to run, e.g. `radaudit slurm extract ...`");
    };
    let cli = super::Cli::command();
    let theirs: Vec<String> = cli
        .find_subcommand(&name)
        .map(|c| {
            c.get_arguments()
                .filter_map(|a| a.get_long().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();

    let mut kept = vec![name];
    let command = std::mem::take(&mut args.command);
    let mut rest = command[1..].iter();
    while let Some(token) = rest.next() {
        let (flag, inline) = match token.strip_prefix("--") {
            Some(f) => match f.split_once('=') {
                Some((f, v)) => (f, Some(v.to_string())),
                None => (f, None),
            },
            None => ("", None),
        };
        let own = OWN_FLAGS
            .iter()
            .find(|(f, _)| *f == flag && !theirs.iter().any(|t| t == flag));
        let Some(&(flag, takes_value)) = own else {
            kept.push(token.clone());
            continue;
        };
        let value = match (takes_value, inline) {
            (false, _) => None,
            (true, Some(v)) => Some(v),
            (true, None) => Some(
                rest.next()
                    .with_context(|| format!("--{flag} needs a value"))?
                    .clone(),
            ),
        };
        set_flag(args, flag, value)?;
    }
    args.command = kept;
    Ok(())
}

fn set_flag(args: &mut Args, flag: &str, value: Option<String>) -> anyhow::Result<()> {
    let number = |v: &Option<String>| -> anyhow::Result<usize> {
        let v = v.as_deref().unwrap_or_default();
        v.parse()
            .with_context(|| format!("--{flag} {v:?} is not a whole number"))
    };
    match flag {
        "parts" => args.parts = Some(number(&value)?),
        "max-running" => args.max_running = Some(number(&value)?),
        "partition" => args.partition = value,
        "time" => args.time = value,
        "mem" => args.mem = value,
        "submit" => args.submit = true,
        _ => args.dry_run = true,
    }
    anyhow::ensure!(
        !(args.submit && args.dry_run),
        "--submit and --dry-run exclude each other"
    );
    Ok(())
}

/// Checks the command parses with `--shard` and finds its output.
fn validate(args: &Args) -> anyhow::Result<Job> {
    let parts = args
        .parts
        .context("--parts N is required (the number of array tasks)")?;
    anyhow::ensure!(parts >= 1, "--parts must be at least 1");
    anyhow::ensure!(
        args.max_running != Some(0),
        "--max-running 0 would never run a task; give 1 or more, or leave it out"
    );
    if let Some(t) = &args.time {
        slurm_time(t).map_err(|why| {
            anyhow::anyhow!(
                "--time {t:?}: {why}; Slurm takes MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or \
                 D-HH:MM:SS (e.g. 90, 01:30:00, 2-12)"
            )
        })?;
    }
    if parts > 1001 {
        tracing::warn!("--parts {parts}: Slurm's default MaxArraySize allows 1001 tasks");
    }
    anyhow::ensure!(
        !args.command.iter().any(|a| a.starts_with("--shard")),
        "the command must not have --shard: `slurm` adds it per task"
    );
    let mut probe = args.command.clone();
    probe.extend(["--shard".to_string(), format!("0/{parts}")]);
    let out = match super::reparse(&probe)? {
        Command::Extract(a) => {
            anyhow::ensure!(a.cohort.is_some(), "`slurm extract` needs --cohort");
            a.out.context("`slurm extract` needs --out")?
        }
        Command::Null(a) => a.out,
        Command::Audit(a) => a.out,
        Command::Perturb(a) => a.out,
        // TODO(shard): cv joins here once it takes --shard.
        _ => anyhow::bail!(
            "`{}` cannot run in parts; commands: extract --cohort, perturb, null, audit",
            args.command[0]
        ),
    };

    let cwd = std::env::current_dir().context("the current folder")?;
    let out = absolute(&cwd, &out);
    let mut options = Vec::new();
    for (name, value) in [
        ("partition", &args.partition),
        ("time", &args.time),
        ("mem", &args.mem),
    ] {
        if let Some(v) = value {
            anyhow::ensure!(
                !v.is_empty() && !v.contains(char::is_whitespace),
                "--{name} {v:?}: no spaces allowed"
            );
            options.push(format!("--{name}={v}"));
        }
    }
    Ok(Job {
        argv: args.command.clone(),
        parts,
        options,
        max_running: args.max_running,
        exe: std::env::current_exe().context("the radaudit binary's path")?,
        parts_dir: part_dir(&out),
        cwd,
        out,
    })
}

/// Checks a Slurm time limit (`sbatch --time`): `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`,
/// `D-HH:MM` or `D-HH:MM:SS`, every field digits, minutes and seconds below 60 after the
/// first field, hours below 24 after a day count; returns the limit in seconds.
fn slurm_time(t: &str) -> Result<u64, String> {
    let field = |f: &str, what: &str| -> Result<u64, String> {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) || f.len() > 9 {
            return Err(format!("{what} {f:?} is not a whole number"));
        }
        f.parse()
            .map_err(|_| format!("{what} {f:?} is not a whole number"))
    };
    let below = |v: u64, max: u64, what: &str| -> Result<u64, String> {
        if v < max {
            Ok(v)
        } else {
            Err(format!("{what} {v} is not below {max}"))
        }
    };
    let (days, clock) = match t.split_once('-') {
        Some((d, rest)) => (Some(field(d, "days")?), rest),
        None => (None, t),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let seconds = match (days, parts.as_slice()) {
        (None, [m]) => 60 * field(m, "minutes")?,
        (None, [m, s]) => 60 * field(m, "minutes")? + below(field(s, "seconds")?, 60, "seconds")?,
        (None, [h, m, s]) => {
            3600 * field(h, "hours")?
                + 60 * below(field(m, "minutes")?, 60, "minutes")?
                + below(field(s, "seconds")?, 60, "seconds")?
        }
        (Some(d), [h]) => 86400 * d + 3600 * below(field(h, "hours")?, 24, "hours")?,
        (Some(d), [h, m]) => {
            86400 * d
                + 3600 * below(field(h, "hours")?, 24, "hours")?
                + 60 * below(field(m, "minutes")?, 60, "minutes")?
        }
        (Some(d), [h, m, s]) => {
            86400 * d
                + 3600 * below(field(h, "hours")?, 24, "hours")?
                + 60 * below(field(m, "minutes")?, 60, "minutes")?
                + below(field(s, "seconds")?, 60, "seconds")?
        }
        _ => return Err("too many fields".to_string()),
    };
    Ok(seconds)
}

fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    }
}

/// A path usable on an `#SBATCH` line (no whitespace or quotes).
fn plain(p: &Path) -> anyhow::Result<String> {
    let s = p.to_string_lossy().into_owned();
    anyhow::ensure!(
        !s.contains(|c: char| c.is_whitespace() || "'\"\\$`".contains(c)),
        "{s:?}: Slurm's #SBATCH --output cannot take this path (spaces or quotes); \
         choose an --out without them"
    );
    Ok(s)
}

/// Quotes `s` for a POSIX shell when it holds anything but safe characters.
fn sh_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Runs `sbatch --parsable ARGS` and returns the job id.
fn sbatch<'a>(args: impl IntoIterator<Item = &'a OsStr>) -> anyhow::Result<String> {
    let o = std::process::Command::new("sbatch")
        .arg("--parsable")
        .args(args)
        .output()
        .context("running sbatch (is Slurm installed, and SLURM_CONF set?)")?;
    let stdout = String::from_utf8_lossy(&o.stdout);
    anyhow::ensure!(
        o.status.success(),
        "sbatch failed ({}): {}",
        o.status,
        String::from_utf8_lossy(&o.stderr).trim()
    );
    let id = stdout
        .trim()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    anyhow::ensure!(
        !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()),
        "sbatch printed {stdout:?}, expected a job id"
    );
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(command: &[&str]) -> Args {
        Args {
            parts: None,
            partition: None,
            time: None,
            mem: None,
            max_running: None,
            submit: false,
            dry_run: false,
            command: command.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn slurm_time_formats() {
        assert_eq!(slurm_time("90"), Ok(5400));
        assert_eq!(slurm_time("10:30"), Ok(630));
        assert_eq!(slurm_time("01:00:00"), Ok(3600));
        assert_eq!(slurm_time("2-12"), Ok(2 * 86400 + 12 * 3600));
        assert_eq!(slurm_time("1-01:30"), Ok(86400 + 3600 + 1800));
        assert_eq!(slurm_time("1-00:00:05"), Ok(86405));
        for bad in [
            "", "1h", "01:60:00", "1:2:3:4", "-5", "1-24", "1-", "10:75", "a-1", "1.5",
        ] {
            assert!(slurm_time(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn own_flags_after_the_command_are_taken_out() {
        let mut a = args(&[
            "null",
            "--n",
            "50",
            "--parts",
            "4",
            "--time=00:10:00",
            "--submit",
            "--out",
            "x",
        ]);
        take_own_flags(&mut a).unwrap();
        assert_eq!(a.parts, Some(4));
        assert_eq!(a.time.as_deref(), Some("00:10:00"));
        assert!(a.submit);
        assert_eq!(a.command, ["null", "--n", "50", "--out", "x"]);
    }

    #[test]
    fn array_and_merge_scripts() {
        let job = Job {
            argv: vec!["extract".into(), "--cohort".into(), "my cohort.csv".into()],
            parts: 3,
            options: vec!["--time=01:00:00".into()],
            max_running: Some(2),
            exe: "/opt/radaudit".into(),
            cwd: "/data".into(),
            out: "/data/f.csv".into(),
            parts_dir: "/data/f.csv.parts".into(),
        };
        let (array, merge) = scripts(&job).unwrap();
        assert!(array.contains("#SBATCH --array=0-2%2\n"), "{array}");
        assert!(array.contains("#SBATCH --time=01:00:00\n"));
        let exec = "exec /opt/radaudit extract --cohort 'my cohort.csv' \
                    --shard \"${SLURM_ARRAY_TASK_ID}/3\"";
        assert!(array.contains(exec), "{array}");
        assert!(merge.contains(
            "exec /opt/radaudit merge /data/f.csv.parts/part-*-of-0003-*.json --out /data/f.csv"
        ));
        assert!(merge.contains("#SBATCH --kill-on-invalid-dep=yes"));
    }

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("a/b.csv"), "a/b.csv");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        assert_eq!(sh_quote(""), "''");
    }
}
