# bench/run puts this directory first on PYTHONPATH for the leadcycle and
# sqlite-utils children: sqlite-utils imports pandas whenever it is installed
# (and the bench extra installs it), which would add ~65 MB and ~0.3 s to
# every command. leadcycle does not depend on pandas; measure it without.
raise ImportError("pandas hidden by bench/_nopandas")
