# The runtime's init checks (layer/r-runtime/loop.R): layers of different builds fail init, naming the layers;
# a stamp-less runtime (the project's layer/ folder) and an R other than the r layer's are not checked.
source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[[1L]]))), "helpers.R"))

rt <- runtime_env(c("log.R", "json.R", "handler.R", "loop.R"))

# A layer tree as the build leaves it: r-runtime/ (subsystem.zip) beside R/lib/R (r.zip), each with its BUILD-ID.
layer_tree <- function(runtime_id, r_id) {
  root <- tempfile("layers-")
  dir.create(file.path(root, "r-runtime"), recursive = TRUE)
  dir.create(file.path(root, "R", "lib", "R"), recursive = TRUE)
  if (!is.null(runtime_id)) writeLines(runtime_id, file.path(root, "r-runtime", "BUILD-ID"))
  if (!is.null(r_id)) writeLines(r_id, file.path(root, "R", "BUILD-ID"))
  root
}
outcome <- function(root, r_home = file.path(root, "R", "lib", "R")) {
  tryCatch({
    rt$check_layer_builds(file.path(root, "r-runtime"), r_home)
    "ok"
  }, error = function(e) paste(e$type, conditionMessage(e)))
}

check("layers of one build pass", identical(outcome(layer_tree("abc", "abc")), "ok"))
check("layers of different builds fail init, naming both layers and both ids",
      grepl("^Runtime.InitError The r layer \\(R, build def\\) and the subsystem layer \\(the runtime, build abc\\) come from different builds",
            outcome(layer_tree("abc", "def"))))
check("an r layer from before build ids fails against a stamped runtime",
      grepl("R, build none \\(a build before build ids\\)", outcome(layer_tree("abc", NULL))))
check("a runtime without a stamp (the project's layer/ folder) is not checked", identical(outcome(layer_tree(NULL, "def")), "ok"))
check("an R other than the r layer's (R_LAMBDA_RSCRIPT) is not checked",
      identical(outcome(layer_tree("abc", "def"), r_home = R.home()), "ok"))

finish()
