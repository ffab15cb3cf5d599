/** The current time. Provided under CLOCK so tests and test clocks can control it. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
