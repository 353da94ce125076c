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
