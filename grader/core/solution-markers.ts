/**
 * The markers of a master's solution regions, in one place: the release replaces what lies between
 * them by a stub, the leak check and the similarity search read the same regions, and a marker that
 * one of them read differently would let a solution line through or drop a student's line.
 */

/** `// BEGIN SOLUTION [name]` on a line of its own: group 1 is its indentation, group 2 the region's name (may be empty). */
export const BEGIN_SOLUTION = /^([ \t]*)\/\/[ \t]*BEGIN SOLUTION\b[ \t]*(.*?)[ \t]*$/;

/** `// END SOLUTION` on a line of its own, at any indentation. */
export const END_SOLUTION = /^[ \t]*\/\/[ \t]*END SOLUTION\b/;
