/** What the commands' options share: the parsers of numeric options (commander calls them with the option's text) and the options several commands take. */
import { type Command, InvalidArgumentError } from "commander";

/** A parser for a whole number of at least `min` (counts, seconds, megabytes). */
export function wholeNumber(min: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number >= ${min}`);
    return n;
  };
}

/** A whole number of at least 1 (workers, seconds, megabytes, images, students). */
export const positiveWholeNumber = wholeNumber(1);

/** A number from 0 to 1 (a similarity, an accuracy). */
export function fraction(text: string): number {
  const n = Number(text);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError("must be a number from 0 to 1");
  return n;
}

/**
 * Adds `--specs` and `--masters` to `command`: the spec modules and master notebooks of an
 * assignment other than this kit's. `masters` describes the masters where the command reads them
 * for something in particular.
 */
export function assignmentOptions(command: Command, masters = "its master notebooks (default: notebooks/)"): Command {
  return command
    .option("--specs <dir>", "spec modules of another assignment (default: grader/specs)")
    .option("--masters <dir>", masters);
}
