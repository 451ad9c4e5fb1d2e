//! The `p1graph` binary: parse, run, print errors, exit code. Nothing else.

use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = p1graph::cli::parse();
    match p1graph::cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if p1graph::cleanup::interrupted() {
                // The interrupt handler is removing the temporaries and exits with 130.
                loop {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
            if err.is_broken_pipe() {
                // `p1graph access ... | head` is a normal way to use the tool.
                return ExitCode::SUCCESS;
            }
            eprintln!("{}", err.render());
            ExitCode::from(err.exit_code())
        }
    }
}
