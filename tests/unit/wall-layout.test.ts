import { describe, expect, it } from 'vitest';
import { chooseWallLayout, layoutSettingFrom, sideInset, wallScale } from '../../shared/wall-layout.ts';

describe('wall layout choice', () => {
  it('auto: 16:9 screens are standard, 32:9 screens wide', () => {
    expect(chooseWallLayout('auto', 1920, 1080)).toBe('standard');
    expect(chooseWallLayout('auto', 3840, 2160)).toBe('standard');
    expect(chooseWallLayout('auto', 5760, 2160)).toBe('wide');
    expect(chooseWallLayout('auto', 7680, 2160)).toBe('wide');
    // 21:9 (2560×1080, 2.37) is not wide enough for four columns and a map.
    expect(chooseWallLayout('auto', 2560, 1080)).toBe('standard');
    expect(chooseWallLayout('auto', 2592, 1080)).toBe('wide'); // 2.4
    expect(chooseWallLayout('auto', 1920, 0)).toBe('standard');
  });

  it('an explicit setting wins over the aspect ratio', () => {
    expect(chooseWallLayout('wide', 1920, 1080)).toBe('wide');
    expect(chooseWallLayout('standard', 5760, 2160)).toBe('standard');
  });

  it('the URL overrides the configured setting; a bad value is named and the setting kept', () => {
    expect(layoutSettingFrom('wide', 'auto')).toEqual({ setting: 'wide' });
    expect(layoutSettingFrom(null, 'standard')).toEqual({ setting: 'standard' });
    expect(layoutSettingFrom('', 'wide')).toEqual({ setting: 'wide' });
    expect(layoutSettingFrom('ultra', 'auto')).toEqual({ setting: 'auto', error: 'layout="ultra": must be one of auto, standard, wide' });
  });

  it('panels scale to the screen height on wide walls and to the design size on 16:9', () => {
    expect(wallScale('standard', 1920, 1080)).toBe(1);
    expect(wallScale('standard', 3840, 2160)).toBe(2);
    expect(wallScale('wide', 5760, 2160)).toBe(2); // design 2880×1080
    expect(wallScale('wide', 7680, 2160)).toBe(2); // design 3840 wide: the map's middle grows
    expect(wallScale('wide', 1920, 1080)).toBeCloseTo(1920 / 2880, 6); // forced wide on 16:9: everything fits
  });

  it('the map is fitted past one column each side on standard walls, two on wide ones', () => {
    expect(sideInset('standard')).toBe(500); // 22 + 450 + 28
    expect(sideInset('wide')).toBe(964); // 22 + 450 + 14 + 450 + 28
  });
});
