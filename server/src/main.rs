//! The `wallboard` binary: reads the configuration, starts the server, and exits when
//! it has shut down.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let config = match wallboard_server::config::Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("wallboard: configuration: {err}");
            return ExitCode::from(2);
        }
    };
    wallboard_server::telemetry::init(&config);
    match wallboard_server::startup::Application::build(config).await {
        Ok(app) => match app.run_until_stopped().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                tracing::error!(error = %err, "server stopped with an error");
                ExitCode::FAILURE
            }
        },
        Err(err) => {
            tracing::error!(error = %err, "could not start");
            ExitCode::FAILURE
        }
    }
}
