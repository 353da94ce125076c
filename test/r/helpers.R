# Shared by the R-level tests (test-*.R, run by scripts/test.sh with plain Rscript): the runtime's
# files sourced as runtime.R sources them, and a small check() runner that counts, so a failing
# expectation is reported without stopping the file.

test_dir <- function() {
  file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  dirname(normalizePath(gsub("~+~", " ", sub("^--file=", "", file_arg[[1L]]), fixed = TRUE)))
}

REPO_ROOT <- normalizePath(file.path(test_dir(), "..", ".."))
RUNTIME_DIR <- file.path(REPO_ROOT, "layer", "r-runtime")

# A fresh environment holding the runtime's functions (keep.source as runtime.R: off).
runtime_env <- function(parts = c("log.R", "api.R", "json.R", "context.R", "handler.R", "loop.R")) {
  env <- new.env(parent = baseenv())
  for (part in parts) sys.source(file.path(RUNTIME_DIR, part), envir = env, keep.source = FALSE)
  env
}

results <- new.env()
results$passed <- 0L
results$failed <- character()

# Runs `expr`; a FALSE, a non-logical value or an error fails the check.
check <- function(name, expr) {
  outcome <- tryCatch(isTRUE(expr), error = function(e) structure(conditionMessage(e), class = "check_error"))
  if (isTRUE(outcome)) {
    results$passed <- results$passed + 1L
  } else {
    why <- if (inherits(outcome, "check_error")) paste("error:", outcome) else "not TRUE"
    results$failed <- c(results$failed, name)
    cat(sprintf("FAIL %s (%s)\n", name, why))
  }
  invisible(outcome)
}

# Prints the summary line scripts/test.sh adds up, and exits 1 when anything failed.
finish <- function() {
  file <- basename(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[[1L]]))
  cat(sprintf("r-tests: %s: %d passed, %d failed\n", file, results$passed, length(results$failed)))
  quit(save = "no", status = if (length(results$failed)) 1L else 0L)
}
