# Init (R/loop.R and the project's layer/runtime.R): layers of different builds fail init, naming the
# layers; a stamp-less runtime (the project's layer/ folder) and an R other than the r layer's are not
# checked; when the package itself cannot load, runtime.R posts the init error with base R.

# A layer tree as the build leaves it: BUILD-ID beside bootstrap (subsystem.zip), R/BUILD-ID and R/lib/R (r.zip).
layer_tree <- function(subsystem_id, r_id) {
  root <- tempfile("layers-")
  dir.create(file.path(root, "R", "lib", "R"), recursive = TRUE)
  if (!is.null(subsystem_id)) writeLines(subsystem_id, file.path(root, "BUILD-ID"))
  if (!is.null(r_id)) writeLines(r_id, file.path(root, "R", "BUILD-ID"))
  root
}
outcome <- function(root, r_home = file.path(root, "R", "lib", "R")) {
  tryCatch({
    rt$check_layer_builds(root, r_home)
    "ok"
  }, error = function(e) paste(e$type, conditionMessage(e)))
}

test_that("layers of one build pass; layers of different builds fail init, naming both layers and both ids", {
  expect_identical(outcome(layer_tree("abc", "abc")), "ok")
  expect_match(outcome(layer_tree("abc", "def")),
               "^Runtime.InitError The r layer \\(R and the runtime, build def\\) and the subsystem layer \\(bootstrap and libraries, build abc\\) come from different builds")
  # an r layer from before build ids fails against a stamped subsystem layer
  expect_match(outcome(layer_tree("abc", NULL)), "R and the runtime, build none \\(a build before build ids\\)")
})
test_that("a subsystem without a stamp (the project's layer/ folder) and an R other than the r layer's (R_LAMBDA_RSCRIPT) are not checked", {
  expect_identical(outcome(layer_tree(NULL, "def")), "ok")
  expect_identical(outcome(layer_tree("abc", "def"), r_home = R.home()), "ok")
})

# runtime.R with an R that lacks the package: the init error reaches the Runtime API, saying which layer to rebuild.
test_that("without the runtime package, runtime.R posts Runtime.InitError to /init/error and exits 1", {
  needs_repo()
  server <- NULL
  for (port in sample(20000:60000, 20)) {
    server <- tryCatch(serverSocket(port), error = function(e) NULL)
    if (!is.null(server)) break
  }
  on.exit(close(server))
  status_file <- tempfile()
  # R_LIBS empty and --vanilla: the package is found neither in R's own libraries nor on the library path.
  system(sprintf("AWS_LAMBDA_RUNTIME_API=127.0.0.1:%d R_LIBS= R_LIBS_USER=%s %s --vanilla %s >/dev/null 2>&1; echo $? > %s",
                 port, shQuote(tempdir()), shQuote(file.path(R.home("bin"), "Rscript")),
                 shQuote(file.path(REPO_ROOT, "layer", "runtime.R")), shQuote(status_file)), wait = FALSE)
  con <- socketAccept(server, blocking = TRUE, open = "r+b", timeout = 30)
  on.exit(close(con), add = TRUE)
  head <- character()
  repeat {
    line <- readLines(con, n = 1L, warn = FALSE)
    if (!length(line) || !nzchar(line)) break
    head <- c(head, line)
  }
  size <- as.integer(sub("^[^:]*: *", "", grep("^Content-Length:", head, value = TRUE, ignore.case = TRUE)))
  body <- rawToChar(readBin(con, "raw", size))
  writeBin(charToRaw("HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}"), con)
  for (i in 1:100) if (file.exists(status_file) && length(readLines(status_file, warn = FALSE))) break else Sys.sleep(0.1)
  report <- jsonlite::fromJSON(body)
  expect_identical(head[[1L]], "POST /2018-06-01/runtime/init/error HTTP/1.1")
  expect_true("Lambda-Runtime-Function-Error-Type: Runtime.InitError" %in% head)
  expect_identical(report$errorType, "Runtime.InitError")
  expect_match(report$errorMessage, "The R runtime \\(the R package lambdaruntime\\) cannot load: .*rebuild the r layer")
  expect_identical(readLines(status_file, warn = FALSE), "1")
})
