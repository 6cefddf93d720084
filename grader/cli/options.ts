/** Parsers for the commands' numeric options: commander calls them with the option's text. */
import { InvalidArgumentError } from "commander";

/** A parser for a whole number of at least `min` (counts, seconds, megabytes). */
export function wholeNumber(min: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number >= ${min}`);
    return n;
  };
}

/** A number from 0 to 1 (a similarity, an accuracy). */
export function fraction(text: string): number {
  const n = Number(text);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError("must be a number from 0 to 1");
  return n;
}
