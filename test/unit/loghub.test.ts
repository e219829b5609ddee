import { accuracy, bestOn, gridOf, leaveOneOut, loadSystem, LOGHUB_SYSTEMS, parseCsv } from '../../bench/loghub';

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, and CRLF rows', () => {
    expect(parseCsv('a,b,c\r\n1,"x, y","say ""hi"""\n2,"two\nlines",\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', 'two\nlines', ''],
    ]);
  });

  it('keeps a last row without a line end', () => {
    expect(parseCsv('a,b\n1,2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });
});

describe('accuracy', () => {
  it("counts a predicted group only when it holds exactly one true template's lines", () => {
    const truth = ['A', 'A', 'B', 'B', 'C'];
    // The first group is A exactly; B is split in two; C is merged with nothing but named wrong.
    const predicted = ['A', 'A', 'B', 'B2', 'c'];
    expect(accuracy(predicted, truth)).toEqual({ ga: 3 / 5, pa: 3 / 5, predictedTemplates: 4, trueTemplates: 3 });
    expect(accuracy(['X', 'X', 'X', 'Y', 'Y'], ['A', 'A', 'B', 'B', 'B']).ga).toBe(0);
  });
});

describe('leave one system out', () => {
  const score = (ga: number, pa = ga) => ({ ga, pa, predictedTemplates: 1, trueTemplates: 1 });

  it('lists every combination of the grid, the first key varying slowest', () => {
    expect(gridOf<{ a: number; b: string }>({ a: [1, 2], b: ['x', 'y'] })).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
    ]);
  });

  it('scores each system with the configuration chosen on the others, never on itself', () => {
    // Config 0 is best over all three; config 1 wins any pair that includes system 2, where it is perfect.
    const scores = [
      [score(0.9), score(0.9), score(0.3)],
      [score(0.5), score(0.5), score(1)],
    ];
    expect(bestOn(scores, [0, 1, 2])).toBe(0);
    expect(leaveOneOut(scores).map((h) => [h.chosen, h.accuracy.ga])).toEqual([
      [1, 0.5],
      [1, 0.5],
      [0, 0.3],
    ]);
  });

  it('chooses by GA and PA together, and the first configuration on a tie', () => {
    expect(bestOn([[score(1, 0)], [score(0.6, 0.6)]], [0])).toBe(1);
    expect(bestOn([[score(0.5)], [score(0.5)]], [0])).toBe(0);
  });
});

describe('LogHub-2k data', () => {
  it.each(LOGHUB_SYSTEMS)('%s has 2,000 messages, each with a template', (system) => {
    const { contents, truth } = loadSystem(system);
    expect(contents).toHaveLength(2000);
    expect(truth.filter((t) => t === '')).toEqual([]);
  });
});
