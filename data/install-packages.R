# Installs R packages for one stage of the build, then checks that each loads and has the version asked for.
# Usage: Rscript --vanilla install-packages.R LIB REPO NCPUS RESULT_FILE PINS_FILE MODE WORK_DIR PKG...
#   PKG        a package name, or the absolute path of a package's source folder (installed after the named ones);
#   PINS_FILE  "-" or tab-separated lines `name version [repo-url ...]`: packages wanted at exactly that version;
#   MODE       "locked" (every package, dependencies too, must come from the pins: an renv.lock) or "open";
#   WORK_DIR   an empty folder for downloaded tarballs.
# Writes RESULT_FILE as tab-separated lines:
#   `installed <pkg> <version>`, `source <pkg> <version> <url> <local tarball>`, `unknown <pkg>`,
#   `unavailable <pkg> <version> <tried urls>`, `failed <pkg> <message>`, `mismatch <pkg> <wanted> <installed>`.
# Exits 0 only when every package (and its dependencies) installed, loads, and has its pinned version.
args <- commandArgs(trailingOnly = TRUE)
lib <- args[[1]]
repo <- args[[2]]
ncpus <- as.integer(args[[3]])
result_file <- args[[4]]
pins_file <- args[[5]]
locked <- identical(args[[6]], "locked")
work_dir <- args[[7]]
pkgs <- args[-(1:7)]
# Source folders (the runtime's own C codec): installed from a copy, so the build writes nothing into the project.
local_dirs <- pkgs[startsWith(pkgs, "/")]
pkgs <- setdiff(pkgs, local_dirs)
local_names <- vapply(local_dirs, function(d) read.dcf(file.path(d, "DESCRIPTION"), fields = "Package")[[1L]], "",
                      USE.NAMES = FALSE)

dir.create(lib, recursive = TRUE, showWarnings = FALSE)
.libPaths(c(lib, .libPaths()))
options(warn = 1)
lines <- character()
emit <- function(...) lines <<- c(lines, paste(..., sep = "\t"))
finish <- function(status) {
  writeLines(lines, result_file)
  quit(save = "no", status = status)
}

pins <- if (pins_file == "-") list() else lapply(strsplit(readLines(pins_file), "\t"), function(f) {
  list(name = f[[1]], version = f[[2]], repos = unique(c(repo, f[-(1:2)])))
})
names(pins) <- vapply(pins, `[[`, "", "name")

# A pinned package that R's own library already has at that version (a recommended package) needs nothing.
own <- installed.packages(lib.loc = .Library)
satisfied <- Filter(function(p) p$name %in% rownames(own) && own[p$name, "Version"] == p$version, pins)
pins <- pins[setdiff(names(pins), names(satisfied))]
pkgs <- setdiff(pkgs, names(satisfied))

# Each pin from the first place that has it: the repository, its Archive/ (CRAN's place for superseded releases),
# then the same in the lock's own repository. The tarballs form a small repository of their own, so
# install.packages() resolves dependencies and install order as usual.
pinned_contrib <- file.path(work_dir, "pinned", "src", "contrib")
dir.create(pinned_contrib, recursive = TRUE, showWarnings = FALSE)
pinned_from <- character()
unavailable <- FALSE
for (p in pins) {
  file <- sprintf("%s_%s.tar.gz", p$name, p$version)
  urls <- unlist(lapply(p$repos, function(r) {
    c(sprintf("%s/src/contrib/%s", r, file), sprintf("%s/src/contrib/Archive/%s/%s", r, p$name, file))
  }))
  dest <- file.path(pinned_contrib, file)
  got <- NA_character_
  for (url in urls) {
    ok <- tryCatch(suppressWarnings(download.file(url, dest, quiet = TRUE, mode = "wb")) == 0,
                   error = function(e) FALSE)
    if (ok && file.exists(dest) && file.size(dest) > 0) {
      got <- url
      break
    }
    unlink(dest)
  }
  if (is.na(got)) {
    emit("unavailable", p$name, p$version, paste(urls, collapse = " "))
    unavailable <- TRUE
  } else {
    pinned_from[[p$name]] <- got
  }
}
if (unavailable) finish(6)

available <- NULL
if (length(pinned_from)) {
  tools::write_PACKAGES(pinned_contrib, type = "source")
  available <- available.packages(repos = paste0("file://", normalizePath(file.path(work_dir, "pinned"))))
}
if (!locked) {
  from_repo <- tryCatch(
    available.packages(repos = repo),
    error = function(e) {
      emit("failed", "(repository)", conditionMessage(e))
      finish(4)
    }
  )
  # The repository's newer release of a pinned package must not win over the pin.
  available <- rbind(available, from_repo[!(rownames(from_repo) %in% names(pinned_from)), , drop = FALSE])
}
unknown <- setdiff(pkgs, rownames(available))
for (p in unknown) emit("unknown", p)
if (length(unknown)) finish(3)

# The DESCRIPTION's Built field carries the install time unless told otherwise: a fixed stamp (SOURCE_DATE_EPOCH when
# set) makes the same packages give the same bytes, so a rebuild from the same lock gives the same zips.
epoch <- suppressWarnings(as.numeric(Sys.getenv("SOURCE_DATE_EPOCH", "315532800")))
if (is.na(epoch)) epoch <- 315532800
built_stamp <- sprintf("--built-timestamp='%s'",
                       format(as.POSIXct(epoch, origin = "1970-01-01", tz = "UTC"), "%Y-%m-%d %H:%M:%S", tz = "UTC", usetz = TRUE))

# Shared objects get a GNU build-id, a hash that covers their debug information and with it the random temporary
# folder a package is compiled in: the one byte difference between two installs of the same package after strip.
# Nothing on Lambda reads build-ids (no debug files ship), so the packages' shared objects are linked without one.
makevars <- file.path(work_dir, "Makevars")
writeLines("LDFLAGS += -Wl,--build-id=none", makevars)
Sys.setenv(R_MAKEVARS_USER = makevars)

failures <- character()
downloads <- file.path(work_dir, "downloads")
dir.create(downloads, showWarnings = FALSE)
if (length(pkgs)) withCallingHandlers(
  install.packages(pkgs, lib = lib, repos = repo, available = available, Ncpus = ncpus, destdir = downloads,
                   dependencies = c("Depends", "Imports", "LinkingTo"), INSTALL_opts = built_stamp),
  warning = function(w) {
    msg <- conditionMessage(w)
    # install.packages() reports a failed package only as a warning.
    m <- regmatches(msg, regexec("installation of package .([A-Za-z0-9.]+). had non-zero exit status", msg))[[1]]
    if (length(m) == 2) failures <<- c(failures, m[[2]])
    if (locked && grepl("not available", msg)) {
      emit("failed", "(lock)", paste0(gsub("[\t\n]", " ", msg), " (a dependency the lock does not list)"))
    }
    message("warning: ", msg)
    invokeRestart("muffleWarning")
  }
)
local_copies <- file.path(work_dir, "local")
dir.create(local_copies, showWarnings = FALSE)
for (i in seq_along(local_dirs)) {
  file.copy(local_dirs[[i]], local_copies, recursive = TRUE)
  copy <- file.path(local_copies, basename(local_dirs[[i]]))
  # --preclean: objects an in-place install left in the folder (a developer's) are never linked into the layer.
  status <- system2(file.path(R.home("bin"), "R"), c("CMD", "INSTALL", "--preclean", paste0("--library=", shQuote(lib)),
                                                     built_stamp, shQuote(copy)))
  if (status != 0) failures <- c(failures, local_names[[i]])
}
pkgs <- c(pkgs, local_names)
for (p in unique(failures)) emit("failed", p, "installation had a non-zero exit status")

# help/paths.rds records the temporary folder each package was built in, before the part R reads (from "first" on):
# keep only that part, so the same packages give the same bytes.
for (f in Sys.glob(file.path(lib, "*", "help", "paths.rds"))) {
  paths <- readRDS(f)
  first <- attr(paths, "first")
  if (!is.null(first)) {
    paths <- substring(paths, first)
    attr(paths, "first") <- 1L
    saveRDS(paths, f)
  }
}

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
for (i in seq_len(nrow(installed))) {
  name <- installed[i, "Package"]
  version <- installed[i, "Version"]
  emit("installed", name, version)
  # Where each tarball came from and the file it was installed from (a file:// repository's own file, or the copy
  # install.packages downloaded), so the build can record its SHA-256.
  file <- sprintf("%s_%s.tar.gz", name, version)
  if (!is.null(available) && name %in% rownames(available) && available[name, "Version"] == version) {
    url <- if (name %in% names(pinned_from)) pinned_from[[name]] else sprintf("%s/%s", available[name, "Repository"], file)
    local <- if (name %in% names(pinned_from)) file.path(pinned_contrib, file)
             else if (startsWith(url, "file://")) sub("^file://", "", url) else file.path(downloads, file)
    emit("source", name, version, url, local)
  }
}
# Exactly the version asked for: anything else is a failed build, never a layer with other versions.
mismatched <- FALSE
for (p in pins) {
  have <- if (p$name %in% rownames(installed)) installed[p$name, "Version"] else "(not installed)"
  if (have != p$version) {
    emit("mismatch", p$name, p$version, have)
    mismatched <- TRUE
  }
}
finish(if (length(failures) || mismatched) 5 else 0)
