# Installs R packages for one stage of the build, then checks that each loads.
# Usage: Rscript --vanilla install-packages.R LIB REPO NCPUS RESULT_FILE PKG...
# Writes RESULT_FILE as tab-separated lines: `installed <pkg> <version>`, `unknown <pkg>`, `failed <pkg> <message>`.
# Exits 0 only when every package (and its dependencies) installed and loads.
args <- commandArgs(trailingOnly = TRUE)
lib <- args[[1]]
repo <- args[[2]]
ncpus <- as.integer(args[[3]])
result_file <- args[[4]]
pkgs <- args[-(1:4)]

dir.create(lib, recursive = TRUE, showWarnings = FALSE)
.libPaths(c(lib, .libPaths()))
options(warn = 1)
lines <- character()
emit <- function(...) lines <<- c(lines, paste(..., sep = "\t"))
finish <- function(status) {
  writeLines(lines, result_file)
  quit(save = "no", status = status)
}

available <- tryCatch(
  available.packages(repos = repo),
  error = function(e) {
    emit("failed", "(repository)", conditionMessage(e))
    finish(4)
  }
)
unknown <- setdiff(pkgs, rownames(available))
for (p in unknown) emit("unknown", p)
if (length(unknown)) finish(3)

failures <- character()
withCallingHandlers(
  install.packages(pkgs, lib = lib, repos = repo, Ncpus = ncpus,
                   dependencies = c("Depends", "Imports", "LinkingTo")),
  warning = function(w) {
    msg <- conditionMessage(w)
    # install.packages() reports a failed package only as a warning.
    m <- regmatches(msg, regexec("installation of package .([A-Za-z0-9.]+). had non-zero exit status", msg))[[1]]
    if (length(m) == 2) failures <<- c(failures, m[[2]])
    message("warning: ", msg)
    invokeRestart("muffleWarning")
  }
)
for (p in unique(failures)) emit("failed", p, "installation had a non-zero exit status")

# A package can install and still not load (a missing shared library): load each one to be sure.
installed <- installed.packages(lib.loc = lib, noCache = TRUE)
for (p in setdiff(pkgs, failures)) {
  ok <- tryCatch({
    loadNamespace(p, lib.loc = .libPaths())
    TRUE
  }, error = function(e) {
    emit("failed", p, gsub("[\t\n]", " ", conditionMessage(e)))
    FALSE
  })
  if (!ok) failures <- c(failures, p)
}
for (i in seq_len(nrow(installed))) emit("installed", installed[i, "Package"], installed[i, "Version"])
finish(if (length(failures)) 5 else 0)
