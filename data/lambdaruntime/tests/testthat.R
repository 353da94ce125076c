library(testthat)
library(lambdaruntime)

test_check("lambdaruntime")
