use backend::{admin, config::Settings, startup::Application, telemetry};
use clap::Parser;

/// The signup API server. Without a command it serves (configured by `APP_*` variables and
/// `.env`).
#[derive(Debug, Parser)]
#[command(name = "backend", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Operator commands acting on the database directly (each writes an audit log line)
    Admin {
        #[command(subcommand)]
        action: admin::Action,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    };
    match cli.command {
        None => serve(settings).await,
        Some(Command::Admin { action }) => {
            // Logs (the audit line among them) on stderr; the answer alone on stdout.
            telemetry::init_to_stderr(&settings);
            match admin::run(settings, action).await {
                Ok(answer) => {
                    println!("{answer:#}");
                    Ok(())
                }
                Err(e) => {
                    eprintln!("error: {e:#}");
                    std::process::exit(1);
                }
            }
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    telemetry::init(&settings);
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    let app = Application::build(settings).await?;
    tracing::info!(address = %app.address(), "listening");
    let result = app.run_until_stopped().await;
    telemetry::flush_traces();
    result?;
    Ok(())
}
