//! The `wallboard` binary: reads the configuration, starts the server, and exits when
//! it has shut down. Two maintenance commands: `wallboard new-key` prints a fresh
//! credentials key; `wallboard rotate-credentials` re-seals every stored credential
//! with `WALLBOARD_SECRET_KEY` (the old key listed in `WALLBOARD_SECRET_KEY_OLD`).
//! The server also starts this binary as `wallboard jq-worker <bytes>` to run jq steps
//! in a bounded child process (see `sandbox`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some(wallboard_server::sandbox::WORKER_COMMAND) {
        // Before any runtime or thread starts: the worker bounds itself first.
        return wallboard_server::sandbox::worker_main(args.next().as_deref());
    }
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(serve()),
        Err(err) => {
            eprintln!("wallboard: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> ExitCode {
    let _ = dotenvy::dotenv();
    let config = match wallboard_server::config::Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("wallboard: configuration: {err}");
            return ExitCode::from(2);
        }
    };
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {}
        Some("new-key") => {
            println!("{}", wallboard_server::sources::vault::Vault::new_key());
            return ExitCode::SUCCESS;
        }
        Some("rotate-credentials") => return rotate(&config).await,
        Some(other) => {
            eprintln!("wallboard: unknown command '{other}' (serve, new-key, rotate-credentials)");
            return ExitCode::from(2);
        }
    }
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

async fn rotate(config: &wallboard_server::config::Config) -> ExitCode {
    let outcome = async {
        let storage = wallboard_server::storage::Storage::connect(config.database_url.expose())
            .await
            .map_err(|e| format!("storage: {e}"))?;
        let vault =
            wallboard_server::startup::vault(config, &storage).map_err(|e| e.to_string())?;
        wallboard_server::sources::vault::reseal_stored(&storage, &vault).await
    }
    .await;
    match outcome {
        Ok(n) => {
            println!("re-sealed the credentials of {n} source(s) with the current key");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("wallboard rotate-credentials: {err}");
            ExitCode::FAILURE
        }
    }
}
