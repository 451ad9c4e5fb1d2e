//! `p1graph review`: access-review campaigns (start, status, plan, verify).

use std::path::PathBuf;

use super::{Globals, load_input, progress};
use crate::Error;
use crate::model::Ts;
use crate::report::Output;
use crate::report::output::Durability;
use crate::review::{self, By, InputInfo, StartOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ReviewCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ReviewCommand {
    /// Start a campaign: one reviewer sheet (CSV) per application, role, group or environment.
    Start(StartArgs),
    /// Validate the sheets and print review progress per sheet and overall.
    Status(StatusArgs),
    /// Record who reviews a sheet.
    Assign(AssignArgs),
    /// The PingOne API operations that would carry out the `revoke` decisions (never run).
    Plan(PlanArgs),
    /// Check a later snapshot: is every revoked access gone? Writes an evidence file.
    Verify(VerifyArgs),
}

#[derive(Debug, clap::Args)]
pub struct StartArgs {
    /// An export directory or a `.p1g` snapshot.
    #[arg(long, short)]
    pub input: PathBuf,
    /// One sheet per review target of this kind.
    #[arg(long, value_enum)]
    pub by: By,
    /// Only these targets (id or exact name), or only identities of this environment id
    /// (repeatable).
    #[arg(long)]
    pub scope: Vec<String>,
    /// The campaign directory to create.
    #[arg(long, short)]
    pub out: PathBuf,
    #[command(flatten)]
    pub judgement: super::JudgementArgs,
    /// The reviewer of every sheet (change one sheet's with `review assign`).
    #[arg(long, value_name = "WHO")]
    pub reviewer: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct AssignArgs {
    /// The campaign directory.
    pub campaign: PathBuf,
    /// The sheet: its file, its target's id or name; `*` for every sheet.
    #[arg(long)]
    pub sheet: String,
    /// Who reviews it (an e-mail address or a name); recorded in the campaign and the evidence.
    #[arg(long, value_name = "WHO")]
    pub reviewer: String,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The campaign directory.
    pub campaign: PathBuf,
    #[arg(long, value_enum, default_value_t = super::TextFormat::Text)]
    pub format: super::TextFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Json,
    Sh,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The campaign directory.
    pub campaign: PathBuf,
    #[arg(long, value_enum, default_value_t = PlanFormat::Json)]
    pub format: PlanFormat,
    /// Write here (atomically) instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// The campaign's input, when it moved since the campaign started (its hash must match).
    #[arg(long, short)]
    pub input: Option<PathBuf>,
    /// Plan although some rows have no decision yet (they are left as they are).
    #[arg(long)]
    pub allow_pending: bool,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The campaign directory.
    pub campaign: PathBuf,
    /// The snapshot taken after remediation (export directory or `.p1g`).
    #[arg(long, short)]
    pub input: PathBuf,
    /// Exit 1 unless every revoke was applied.
    #[arg(long)]
    pub fail_unless_applied: bool,
    /// Verify although some rows have no decision yet.
    #[arg(long)]
    pub allow_pending: bool,
}

/// A campaign whose reviewers have not finished is refused by `plan` and `verify`, unless
/// `--allow-pending`: a plan made from half a review looks complete to whoever runs it.
fn require_decided(c: &review::sheet::Campaign, allow: bool) -> Result<(), Error> {
    let p = c.progress();
    if p.pending == 0 || allow {
        return Ok(());
    }
    let open: Vec<String> = c
        .sheets
        .iter()
        .filter(|s| s.progress.pending > 0)
        .take(5)
        .map(|s| format!("{} ({} pending)", s.entry.file, s.progress.pending))
        .collect();
    Err(Error::Usage {
        message: format!(
            "{} of {} rows have no decision yet: {}",
            p.pending,
            p.rows,
            open.join(", ")
        ),
        help: Some("finish the sheets (`p1graph review status` shows what is left), or pass --allow-pending to leave undecided rows as they are".into()),
    })
}

/// Writes to standard output; a closed pipe is an error `main` treats as success.
fn say(text: &str) -> Result<(), Error> {
    let mut out = Output::create(None)?;
    out.write_all(text.as_bytes())?;
    out.finish()?;
    Ok(())
}

pub fn run(a: Args, g: &Globals) -> Result<u8, Error> {
    match a.command {
        ReviewCommand::Start(a) => start(a, g),
        ReviewCommand::Status(a) => status(a),
        ReviewCommand::Assign(a) => {
            let mut m = review::CampaignManifest::load(&a.campaign)?;
            let sheets = m.assign(&a.campaign, &a.sheet, &a.reviewer)?;
            if !g.quiet {
                eprintln!("{} reviews {}", a.reviewer, sheets.join(", "));
            }
            Ok(0)
        }
        ReviewCommand::Plan(a) => plan(a, g),
        ReviewCommand::Verify(a) => verify(a, g),
    }
}

fn start(a: StartArgs, g: &Globals) -> Result<u8, Error> {
    let as_of = a.judgement.as_of;
    if a.out.join(review::campaign::MANIFEST_FILE).exists() {
        return Err(review::ReviewError::Exists(a.out.clone()).into());
    }
    let t = load_input(&a.input, g)?;
    let input = InputInfo::of(&a.input, t.manifest.captured_at)?;
    let opts = StartOptions {
        by: a.by,
        scope: a.scope,
        as_of,
        dormant_days: a.judgement.dormant_days,
        usage_days: a.judgement.usage_days,
        created_at: None,
        reviewer: a.reviewer.unwrap_or_default(),
    };
    let pb = progress::bar(g, 0, "resolving");
    let s = review::start(&t, input, &opts, &a.out, &|done, total| {
        pb.set_length(total);
        pb.set_position(done)
    })?;
    pb.finish_and_clear();
    say(&format!(
        "campaign {}: {} sheet(s), {} row(s) to review, in {}\n\
         next: fill the `decision` column (keep, revoke or unsure), then run `p1graph review status {}`\n",
        s.manifest.campaign_id,
        s.manifest.sheets.len(),
        s.rows,
        a.out.display(),
        a.out.display()
    ))?;
    Ok(0)
}

/// Progress lines for a person.
fn progress_text(c: &review::Campaign) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let pct = |p: &review::sheet::Progress| {
        if p.rows == 0 {
            100.0
        } else {
            p.decided() as f64 * 100.0 / p.rows as f64
        }
    };
    let _ = writeln!(
        s,
        "campaign {} (by {})",
        c.manifest.campaign_id,
        c.manifest.options.by.as_str()
    );
    use crate::report::table::{Column, Table, terminal_width};
    let mut table = Table::new(vec![
        Column::number("DECIDED"),
        Column::shrink("SHEET", 16),
        Column::shrink("REVIEWER", 10),
        Column::number("ROWS"),
        Column::number("KEEP"),
        Column::number("REVOKE"),
        Column::number("UNSURE"),
        Column::number("PENDING"),
    ]);
    for sh in &c.sheets {
        let p = &sh.progress;
        table.row([
            format!("{:.1}%", pct(p)),
            format!("{} ({})", sh.entry.target_name, sh.entry.file),
            if sh.entry.reviewer.is_empty() {
                "-".to_string()
            } else {
                sh.entry.reviewer.clone()
            },
            p.rows.to_string(),
            p.keep.to_string(),
            p.revoke.to_string(),
            p.unsure.to_string(),
            p.pending.to_string(),
        ]);
    }
    s.push_str(&table.render(terminal_width()));
    let p = c.progress();
    let _ = writeln!(
        s,
        "overall: {:.1}% decided ({} of {} rows): keep {}, revoke {}, unsure {}, pending {}",
        pct(&p),
        p.decided(),
        p.rows,
        p.keep,
        p.revoke,
        p.unsure,
        p.pending
    );
    s
}

fn status(a: StatusArgs) -> Result<u8, Error> {
    let c = review::sheet::read_campaign(&a.campaign)?;
    #[derive(serde::Serialize)]
    struct Sheet<'a> {
        file: &'a str,
        target: &'a str,
        reviewer: &'a str,
        #[serde(flatten)]
        progress: review::sheet::Progress,
    }
    #[derive(serde::Serialize)]
    struct Status<'a> {
        campaign: &'a str,
        by: &'a str,
        sheets: Vec<Sheet<'a>>,
        overall: review::sheet::Progress,
        problems: Vec<String>,
    }
    let doc = Status {
        campaign: &c.manifest.campaign_id,
        by: c.manifest.options.by.as_str(),
        sheets: c
            .sheets
            .iter()
            .map(|s| Sheet {
                file: &s.entry.file,
                target: &s.entry.target_name,
                reviewer: &s.entry.reviewer,
                progress: s.progress,
            })
            .collect(),
        overall: c.progress(),
        problems: c.problems.iter().map(|p| p.to_string()).collect(),
    };
    super::print_text_or_json(a.format, || progress_text(&c), &doc)?;
    c.require_valid()?;
    Ok(0)
}

/// Loads the campaign's own input again and checks that it is unchanged.
fn original_input(
    m: &review::CampaignManifest,
    moved: Option<&std::path::Path>,
    g: &Globals,
) -> Result<crate::model::Tenant, Error> {
    let path = &moved.map_or_else(|| m.input.path.clone(), |p| p.to_path_buf());
    if !path.exists() {
        return Err(crate::input::InputError::Missing(path.clone()).into());
    }
    let found = review::hash_input(path)?;
    if found != m.input.sha256 {
        return Err(review::ReviewError::InputChanged {
            path: path.clone(),
            expected: m.input.sha256.clone(),
            found,
        }
        .into());
    }
    load_input(path, g)
}

fn plan(a: PlanArgs, g: &Globals) -> Result<u8, Error> {
    let c = review::sheet::read_campaign(&a.campaign)?.require_valid()?;
    require_decided(&c, a.allow_pending)?;
    let t = original_input(&c.manifest, a.input.as_deref(), g)?;
    let p = review::build_plan(&c, &t);
    let bytes = match a.format {
        PlanFormat::Json => p.to_json()?,
        PlanFormat::Sh => p.to_sh(&c.manifest).into_bytes(),
    };
    let mut out = Output::create(a.out.as_deref())?;
    out.write_all(&bytes)?;
    out.finish()?;
    Ok(0)
}

fn verify(a: VerifyArgs, g: &Globals) -> Result<u8, Error> {
    let c = review::sheet::read_campaign(&a.campaign)?.require_valid()?;
    require_decided(&c, a.allow_pending)?;
    let t = load_input(&a.input, g)?;
    let input = InputInfo::of(&a.input, t.manifest.captured_at)?;
    let v = review::verify(&c, &a.campaign, &t, input, Ts::now())?;
    let path = a.campaign.join(v.file_name());
    let evidence = v.to_json()?;
    crate::report::output::write_file_with(&path, &evidence, Durability::Durable)?;
    // A checksum file beside the evidence, in `sha256sum -c` form, for the auditor's records.
    let sum = format!(
        "{}  {}\n",
        review::campaign::sha256_hex(&evidence),
        v.file_name()
    );
    crate::report::output::write_file_with(
        &path.with_extension("json.sha256"),
        sum.as_bytes(),
        Durability::Durable,
    )?;
    say(&format!("{}evidence: {}\n", v.to_text(), path.display()))?;
    let open = v.summary.not_applied + v.summary.still_reachable;
    Ok(if a.fail_unless_applied && open > 0 {
        1
    } else {
        0
    })
}
