# Shared by the runtime package's tests. They run against the installed package (R CMD INSTALL of
# data/lambdaruntime), in an environment whose parent is its namespace, so internal functions are
# visible; `rt` names the namespace where a test reads it explicitly. test/r/run-package-tests.R runs
# them from the project (setting R_LAMBDA_REPO_ROOT for the fixtures and sources some tests use);
# R CMD check runs them too, skipping those.

rt <- asNamespace("lambdaruntime")

# The project's folder when run from it, else "" (tests that need it skip).
REPO_ROOT <- Sys.getenv("R_LAMBDA_REPO_ROOT")

needs_repo <- function() {
  if (!nzchar(REPO_ROOT)) testthat::skip("R_LAMBDA_REPO_ROOT is not set (run from the project: test/r/run-package-tests.R)")
}

# Runs `calls(rt)` with the runtime's API client pointed at a node server on 127.0.0.1 (`script`, a file
# in this folder, given `args` and then the log file it writes one JSON line per request to; it prints
# "PORT PID" when it listens). Returns list(value = calls' value or error, requests = the parsed log).
with_node_server <- function(script, args, calls) {
  node <- Sys.which("node")
  dir <- tempfile("node-server-")
  dir.create(dir)
  log <- file.path(dir, "log.jsonl")
  out <- file.path(dir, "port")
  file.create(log)
  system2(node, c(normalizePath(testthat::test_path(script)), args, log), stdout = out, wait = FALSE)
  for (i in 1:200) if (file.exists(out) && length(readLines(out, warn = FALSE))) break else Sys.sleep(0.05)
  started <- as.integer(strsplit(readLines(out, warn = FALSE)[[1L]], " ")[[1L]])
  on.exit(tools::pskill(started[[2L]]), add = TRUE)
  rt$api_configure(sprintf("127.0.0.1:%d", started[[1L]]))
  value <- tryCatch(calls(rt), error = identity)
  rt$api_close()
  Sys.sleep(0.1)
  list(value = value, requests = lapply(readLines(log, warn = FALSE), jsonlite::fromJSON))
}
