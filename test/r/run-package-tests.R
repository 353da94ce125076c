# Runs the runtime package's tests (data/lambdaruntime/tests/testthat) with testthat, against the
# package installed from a copy of the project's sources into a temporary library, and prints one line
# per file, "r-tests: FILE: N passed, M failed" (tests, not expectations; a skipped test counts as
# neither), which scripts/test.sh adds up. Exits 1 when anything failed.
file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
repo <- normalizePath(file.path(dirname(normalizePath(sub("^--file=", "", file_arg[[1L]]))), "..", ".."))
Sys.setenv(R_LAMBDA_REPO_ROOT = repo)

# From a copy: an install compiles in the source folder, and the project's must stay sources only.
work <- tempfile("runtime-tests-")
dir.create(file.path(work, "lib"), recursive = TRUE)
invisible(file.copy(file.path(repo, "data", "lambdaruntime"), work, recursive = TRUE))
log <- system2(file.path(R.home("bin"), "R"), c("CMD", "INSTALL", "--preclean", "--no-docs", paste0("--library=", file.path(work, "lib")),
                                                shQuote(file.path(work, "lambdaruntime"))), stdout = TRUE, stderr = TRUE)
if (!is.null(attr(log, "status"))) {
  cat(log, sep = "\n")
  cat("r-tests: R CMD INSTALL lambdaruntime: 0 passed, 1 failed\n")
  quit(save = "no", status = 1L)
}
.libPaths(c(file.path(work, "lib"), .libPaths()))

results <- as.data.frame(testthat::test_dir(file.path(repo, "data", "lambdaruntime", "tests", "testthat"), package = "lambdaruntime",
                                            load_package = "installed", reporter = testthat::SummaryReporter$new(show_praise = FALSE),
                                            stop_on_failure = FALSE))
failed <- results$failed > 0 | results$error
passed <- !failed & !results$skipped
for (file in unique(results$file)) {
  at <- results$file == file
  cat(sprintf("r-tests: %s: %d passed, %d failed\n", file, sum(passed[at]), sum(failed[at])))
}
quit(save = "no", status = if (any(failed)) 1L else 0L)
