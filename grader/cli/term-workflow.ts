/** A whole term's workflow on one page, for `grade --help` (and the same steps in README.md). */
export const TERM_WORKFLOW = `
A term, step by step (run from the course folder):
  1. release    npm run release -- --tar
                  -> release/ and release.tar.gz: hand the kit to students (it fails if a solution would ship)
  2. collect    download the submissions from the LMS into one folder, e.g. subs/
                  (zips from \`npm run submit\`, <student>_<notebook>.ipynb files, or one folder per student),
                  with the LMS's submission times (times.csv: id,time) and class list (roster.csv: id,name,email)
  3. grade      npm run grade -- subs/ --times times.csv --roster roster.csv
                  -> gradebook.sqlite; run it again after more arrive: unchanged submissions are skipped
  4. regrade    npm run grade -- subs/ --student <id>
                  one student again (e.g. after a fix); the earlier result stays in the history
                  (npm run grader -- report --student <id>)
  5. manual     npm run export -- written
                  -> export/written/*.html and export/written/manual-points.csv: fill in points and comments, then
                npm run export -- manual-import export/written/manual-points.csv
     bonus      npm run grader -- bonus subs/ --reproduce 3      (stored in the gradebook)
  6. export     npm run export -- all
                  -> export/grades.csv (for the LMS), export/feedback/<student>.html
  7. upload     grades.csv to the LMS gradebook, feedback pages to the students;
                with Gradescope instead: npm run export -- gradescope, and upload
                export/gradescope-autograder.zip as the assignment's autograder
`;
