// attnscope: with no subcommand opens the GUI; otherwise runs one CLI subcommand.
// Bad arguments and engine errors print one line to stderr and exit 2.
#include <CLI/CLI.hpp>
#include <iostream>
#include <new>

#include "attnscope/error.hpp"
#include "cli/common.hpp"
#include "cli/subcommands.hpp"
#include "gui/app.hpp"
#include "gui/startup.hpp"

int main(int argc, char** argv) {
    CLI::App app{"attnscope: see how attention works, stage by stage"};
    app.require_subcommand(0, 1);
    attnscope::cli::add_trace_command(app);
    attnscope::cli::add_tokenize_command(app);
    attnscope::cli::add_render_command(app);
    attnscope::cli::add_bench_command(app);
    attnscope::cli::add_train_command(app);
    attnscope::cli::add_model_command(app);
    attnscope::cli::require_decimal_numbers(app);
    try {
        app.parse(argc, argv);
        if (app.get_subcommands().empty()) attnscope::gui::run_gui(attnscope::gui::startup_state());
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "attnscope: " << e.what() << " (see attnscope --help)\n";
        return 2;
    } catch (const attnscope::Error& e) {
        std::cerr << "attnscope: " << e.what() << "\n";
        return 2;
    } catch (const std::bad_alloc&) {
        std::cerr << "attnscope: out of memory: the request needs more memory than this machine has; choose smaller "
                     "sizes (fewer tokens, layers, heads or a smaller batch)\n";
        return 2;
    } catch (const std::exception& e) {  // anything a library threw: one line, never an abort
        std::cerr << "attnscope: " << e.what() << "\n";
        return 2;
    }
    return 0;
}
