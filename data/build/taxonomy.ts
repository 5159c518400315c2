/**
 * The case taxonomy (部件/事件) of the Lixia pack, hand-authored after GB/T 30428.2 and the
 * road chiefs' checklist of the brief (20 classes / 142 items of problems visible from the
 * road). The 12 top classes are the standard's; the checklist's 20 "classes" are subclasses
 * (class.subclass) whose items all carry `roadChecklist`. Subclasses off the checklist hold
 * what a road chief cannot see from the road (inside a toilet, a device, a person's SOS).
 *
 * Each subclass gives defaults (department, skills, difficulty); an item overrides them.
 */
import type { AlarmType } from '../../shared/alarms.ts';
import type { CaseDifficulty, CaseTaxonomy, TaxonomyClass, TaxonomyItem, TaxonomySubclass } from '../../shared/cases.ts';
import type { UnitSkill } from '../../shared/dispatch.ts';
import { DEPT } from './organisations.ts';

type Dept = keyof typeof DEPT;
interface ItemOverrides { d?: CaseDifficulty; dept?: Dept; emergency?: true; skills?: UnitSkill[]; alarms?: AlarmType[] }
type ItemSpec = [name: string, nameEn: string, overrides?: ItemOverrides];
interface SubclassSpec {
  code: string; name: string; nameEn: string; checklist: boolean;
  dept: Dept; skills: UnitSkill[]; d: CaseDifficulty; emergency?: true;
  items: ItemSpec[];
}

export const TAXONOMY_CLASSES: TaxonomyClass[] = [
  { code: '01', name: '公用设施', nameEn: 'Public utilities', category: 'component' },
  { code: '02', name: '道路交通', nameEn: 'Roads and traffic', category: 'component' },
  { code: '03', name: '市容环境', nameEn: 'City appearance', category: 'component' },
  { code: '04', name: '园林绿化', nameEn: 'Parks and greenery', category: 'component' },
  { code: '05', name: '房屋土地', nameEn: 'Buildings and land', category: 'component' },
  { code: '06', name: '其他', nameEn: 'Other components', category: 'component' },
  { code: '11', name: '市容环境', nameEn: 'City appearance', category: 'event' },
  { code: '12', name: '宣传广告', nameEn: 'Advertising', category: 'event' },
  { code: '13', name: '施工管理', nameEn: 'Construction', category: 'event' },
  { code: '14', name: '街面秩序', nameEn: 'Street order', category: 'event' },
  { code: '15', name: '突发事件', nameEn: 'Emergencies', category: 'event' },
  { code: '16', name: '其他', nameEn: 'Other events', category: 'event' },
];

const SUBCLASSES: SubclassSpec[] = [
  // ── 部件 components ──────────────────────────────────────────────────────────────
  {
    code: '01.01', name: '井盖', nameEn: 'Manhole covers', checklist: true, dept: 'utilities', skills: ['patrol'], d: 'small',
    items: [
      ['上水井盖破损', 'Water-supply manhole cover damaged'],
      ['污水井盖破损', 'Sewer manhole cover damaged', { dept: 'water' }],
      ['雨水井盖破损', 'Storm-drain manhole cover damaged', { dept: 'water' }],
      ['燃气井盖破损', 'Gas manhole cover damaged'],
      ['热力井盖破损', 'Heating manhole cover damaged'],
      ['电力井盖破损', 'Power manhole cover damaged'],
      ['通信井盖破损', 'Telecom manhole cover damaged'],
      ['无主井盖破损', 'Ownerless manhole cover damaged', { dept: 'housing' }],
      ['井盖移位或下沉', 'Manhole cover displaced or sunken'],
      ['井盖异响', 'Manhole cover rattles'],
      ['雨水箅子破损', 'Gully grate damaged', { dept: 'water' }],
    ],
  },
  {
    code: '01.02', name: '路灯与杆件', nameEn: 'Street lamps and poles', checklist: true, dept: 'utilities', skills: ['patrol'], d: 'small',
    items: [
      ['路灯不亮', 'Street lamp out'],
      ['路灯灯具破损', 'Street lamp fitting broken'],
      ['景观灯损坏', 'Decorative light broken'],
      ['灯杆倾斜', 'Lamp post leaning', { d: 'big' }],
      ['电线杆倾斜', 'Utility pole leaning', { d: 'big' }],
      ['架空线缆凌乱垂落', 'Overhead cables tangled or sagging', { d: 'big' }],
      ['监控杆损坏', 'CCTV pole damaged', { dept: 'police' }],
    ],
  },
  {
    code: '01.03', name: '箱体与亭', nameEn: 'Cabinets, kiosks and hydrants', checklist: true, dept: 'utilities', skills: ['patrol'], d: 'small',
    items: [
      ['变压器箱破损', 'Transformer cabinet damaged', { d: 'big' }],
      ['通信交接箱破损', 'Telecom cabinet damaged'],
      ['配电箱箱门缺失', 'Power cabinet door missing'],
      ['消防栓损坏', 'Fire hydrant damaged', { dept: 'emergency' }],
      ['报刊亭破损', 'News kiosk damaged', { dept: 'enforcement' }],
      ['治安岗亭破损', 'Police booth damaged', { dept: 'police' }],
      ['信息亭损坏', 'Information kiosk damaged'],
    ],
  },
  {
    code: '02.01', name: '道路与桥梁', nameEn: 'Roads and bridges', checklist: true, dept: 'housing', skills: ['patrol'], d: 'big',
    items: [
      ['路面破损坑槽', 'Pothole or broken road surface'],
      ['人行道板松动破损', 'Loose or broken paving slabs', { d: 'small' }],
      ['盲道损坏或被占', 'Tactile paving damaged or blocked', { d: 'small' }],
      ['路缘石损坏', 'Kerbstone damaged', { d: 'small' }],
      ['桥梁栏杆损坏', 'Bridge railing damaged'],
      ['过街天桥破损', 'Footbridge damaged', { d: 'hard' }],
      ['地下通道设施损坏', 'Underpass fittings damaged'],
      ['道路标线模糊', 'Road markings faded', { dept: 'traffic' }],
    ],
  },
  {
    code: '02.02', name: '交通设施', nameEn: 'Traffic facilities', checklist: true, dept: 'traffic', skills: ['patrol'], d: 'small',
    items: [
      ['交通信号灯故障', 'Traffic signal fault', { d: 'big' }],
      ['交通标志牌损坏', 'Traffic sign damaged'],
      ['道路名称牌损坏', 'Street-name sign damaged', { dept: 'planning' }],
      ['隔离护栏损坏', 'Median guardrail damaged'],
      ['防撞桶缺损', 'Crash barrel missing or damaged'],
      ['电子警察设备损坏', 'Traffic camera damaged', { d: 'big' }],
      ['隔离桩缺损', 'Bollard missing or damaged'],
    ],
  },
  {
    code: '02.03', name: '停车与公交设施', nameEn: 'Parking and bus facilities', checklist: true, dept: 'traffic', skills: ['patrol'], d: 'small',
    items: [
      ['公交站亭破损', 'Bus shelter damaged', { dept: 'housing' }],
      ['公交站牌损坏', 'Bus-stop sign damaged', { dept: 'housing' }],
      ['停车泊位线模糊', 'Parking-bay lines faded'],
      ['停车咪表损坏', 'Parking meter broken'],
      ['非机动车停车架损坏', 'Bicycle rack damaged'],
      ['共享单车停放点设施损坏', 'Shared-bike bay fittings damaged'],
    ],
  },
  {
    code: '03.01', name: '环卫设施', nameEn: 'Sanitation facilities', checklist: true, dept: 'sanitation', skills: ['cleaning'], d: 'small',
    items: [
      ['果皮箱破损', 'Litter bin damaged'],
      ['果皮箱缺失', 'Litter bin missing'],
      ['垃圾桶破损', 'Garbage bin damaged', { skills: ['collection'] }],
      ['垃圾桶缺失', 'Garbage bin missing', { skills: ['collection'] }],
      ['垃圾满溢', 'Bin overflowing', { skills: ['collection', 'cleaning'], alarms: ['binOverflow', 'binFull'] }],
      ['垃圾站房破损', 'Refuse station damaged', { d: 'big', skills: ['collection'] }],
      ['公厕外观破损', 'Public toilet exterior damaged', { d: 'big' }],
      ['公厕标识损坏', 'Public toilet sign damaged'],
      ['垃圾分类标识缺失', 'Waste-sorting sign missing'],
    ],
  },
  {
    code: '03.02', name: '公厕与设备运行', nameEn: 'Toilet and device operation', checklist: false, dept: 'sanitation', skills: ['cleaning'], d: 'small',
    items: [
      ['公厕异味', 'Public toilet odour', { alarms: ['toiletNh3', 'toiletH2s'] }],
      ['公厕保洁不到位', 'Public toilet not cleaned', { alarms: ['toiletCleaningOverdue'] }],
      ['公厕未按时开放', 'Public toilet closed in opening hours'],
      ['公厕内部设施损坏', 'Public toilet fittings broken', { d: 'big' }],
      ['设备离线或故障', 'Device offline or faulty', { skills: ['patrol'], alarms: ['deviceOffline'] }],
    ],
  },
  {
    code: '04.01', name: '绿地与行道树', nameEn: 'Green areas and street trees', checklist: true, dept: 'greening', skills: ['watering'], d: 'small',
    items: [
      ['行道树断枝', 'Street-tree branch broken'],
      ['行道树缺株', 'Street tree missing', { d: 'big' }],
      ['树池破损', 'Tree pit damaged'],
      ['树池箅子缺失', 'Tree grate missing'],
      ['古树名木受损', 'Heritage tree damaged', { d: 'hard' }],
      ['绿地黄土裸露', 'Bare soil in a green area', { d: 'big' }],
      ['绿篱破损', 'Hedge damaged'],
      ['护树设施损坏', 'Tree guard damaged'],
    ],
  },
  {
    code: '04.02', name: '园林小品', nameEn: 'Park furniture', checklist: true, dept: 'greening', skills: ['patrol'], d: 'small',
    items: [
      ['雕塑损坏', 'Sculpture damaged', { d: 'big' }],
      ['座椅损坏', 'Bench damaged'],
      ['花箱破损', 'Planter damaged'],
      ['喷泉水景设施损坏', 'Fountain damaged', { d: 'big' }],
      ['绿地护栏损坏', 'Green-area fence damaged'],
      ['园林标识牌损坏', 'Park sign damaged'],
    ],
  },
  {
    code: '05.01', name: '房屋外立面', nameEn: 'Building façades', checklist: true, dept: 'housing', skills: ['enforcement'], d: 'big',
    items: [
      ['空调外机支架锈蚀', 'Rusted air-conditioner bracket'],
      ['防盗窗锈蚀外凸', 'Rusted protruding window grille'],
      ['外墙饰面脱落', 'Façade cladding falling off', { d: 'hard' }],
      ['门头牌匾破损', 'Shop sign damaged', { d: 'small', dept: 'enforcement' }],
      ['违规设置雨棚', 'Unauthorised awning', { dept: 'enforcement' }],
      ['建筑立面污损', 'Soiled façade', { d: 'small' }],
    ],
  },
  {
    code: '06.01', name: '其他部件', nameEn: 'Other components', checklist: false, dept: 'enforcement', skills: ['patrol'], d: 'big',
    items: [['其他部件损坏', 'Other component damaged']],
  },
  // ── 事件 events ──────────────────────────────────────────────────────────────────
  {
    code: '11.01', name: '环境卫生', nameEn: 'Street cleanliness', checklist: true, dept: 'sanitation', skills: ['roadCleaning', 'cleaning'], d: 'small',
    items: [
      ['暴露垃圾', 'Exposed rubbish'],
      ['积存垃圾渣土', 'Accumulated rubbish or soil', { d: 'big', skills: ['collection'] }],
      ['道路不洁', 'Dirty road'],
      ['污水外溢', 'Sewage overflowing', { dept: 'water', d: 'big' }],
      ['动物尸体', 'Dead animal'],
      ['路面油污', 'Oil on the road'],
      ['露天焚烧垃圾', 'Open burning of rubbish', { dept: 'ecology', skills: ['enforcement'] }],
      ['餐厨垃圾乱倒', 'Kitchen waste dumped', { skills: ['enforcement', 'cleaning'] }],
      ['积雪结冰未清', 'Snow or ice not cleared'],
    ],
  },
  {
    code: '11.02', name: '违法建设', nameEn: 'Illegal construction', checklist: true, dept: 'enforcement', skills: ['enforcement'], d: 'hard',
    items: [
      ['违法建设', 'Illegal building'],
      ['违规搭建棚亭', 'Illegal shed or kiosk', { d: 'big' }],
      ['圈占绿地', 'Green space fenced off'],
      ['违规设置地锁', 'Illegal parking lock', { d: 'small' }],
      ['私搭乱接电线', 'Illegal wiring', { d: 'small' }],
    ],
  },
  {
    code: '11.03', name: '绿地与水体脏乱', nameEn: 'Dirty green spaces and water', checklist: true, dept: 'greening', skills: ['cleaning'], d: 'small',
    items: [
      ['绿地脏乱', 'Messy green space'],
      ['河道漂浮物', 'Floating debris in a watercourse', { dept: 'water' }],
      ['水体污染', 'Polluted water', { dept: 'ecology', d: 'hard' }],
      ['毁绿种菜', 'Green space dug up for vegetables', { d: 'big', skills: ['enforcement'] }],
      ['绿地内堆物', 'Things piled on a green space'],
    ],
  },
  {
    code: '12.01', name: '非法小广告', nameEn: 'Illegal small ads', checklist: true, dept: 'enforcement', skills: ['cleaning'], d: 'small',
    items: [
      ['张贴小广告', 'Posted small ads'],
      ['喷涂小广告', 'Spray-painted ads'],
      ['散发广告传单', 'Handing out flyers', { skills: ['enforcement'] }],
      ['乱涂乱画', 'Graffiti'],
      ['条幅乱挂', 'Unauthorised banner'],
    ],
  },
  {
    code: '12.02', name: '户外广告', nameEn: 'Outdoor advertising', checklist: true, dept: 'enforcement', skills: ['enforcement'], d: 'big',
    items: [
      ['违规户外广告', 'Unauthorised outdoor advert'],
      ['广告牌破损', 'Billboard damaged'],
      ['广告显示屏不亮', 'Advertising screen dark', { d: 'small' }],
      ['广告设施安全隐患', 'Unsafe advertising structure', { d: 'hard' }],
      ['占道广告展板', 'Sandwich board on the pavement', { d: 'small' }],
      ['门头招牌不规范', 'Non-conforming shop sign'],
    ],
  },
  {
    code: '13.01', name: '施工管理', nameEn: 'Construction sites', checklist: true, dept: 'housing', skills: ['enforcement'], d: 'big',
    items: [
      ['夜间施工噪声', 'Night-time construction noise', { d: 'small', dept: 'ecology' }],
      ['施工扬尘', 'Construction dust', { dept: 'ecology' }],
      ['施工占道', 'Construction occupying the road'],
      ['施工围挡破损', 'Site hoarding damaged', { d: 'small' }],
      ['车辆带泥上路', 'Vehicles tracking mud onto the road', { skills: ['enforcement', 'roadCleaning'] }],
      ['施工废料乱堆', 'Construction waste dumped', { skills: ['enforcement', 'collection'] }],
      ['施工现场未苫盖', 'Site spoil not covered'],
    ],
  },
  {
    code: '13.02', name: '渣土运输', nameEn: 'Muck transport', checklist: true, dept: 'enforcement', skills: ['enforcement'], d: 'small',
    items: [
      ['渣土车未密闭', 'Muck truck not sealed', { alarms: ['muckLidOpen'] }],
      ['渣土车偏离路线', 'Muck truck off its permitted route', { alarms: ['muckOffRoute'] }],
      ['渣土车超时段运输', 'Muck truck outside permitted hours', { alarms: ['muckOutsideHours'] }],
      ['渣土车沿路抛洒', 'Muck truck spilling its load', { skills: ['enforcement', 'roadCleaning'] }],
      ['渣土车超速', 'Muck truck speeding', { alarms: ['muckSpeeding'] }],
      ['渣土车驶入禁区', 'Muck truck in a restricted zone', { alarms: ['muckRestrictedZone'] }],
      ['渣土车无证运输', 'Muck truck without a permit', { d: 'big' }],
    ],
  },
  {
    code: '14.01', name: '占道经营', nameEn: 'Street trading', checklist: true, dept: 'enforcement', skills: ['enforcement'], d: 'small',
    items: [
      ['无照经营游商', 'Unlicensed street vendor', { dept: 'market' }],
      ['出店经营', 'Trading outside the shop'],
      ['占道堆物', 'Goods piled on the pavement'],
      ['露天烧烤', 'Open-air barbecue', { dept: 'ecology' }],
      ['夜市摊点越线', 'Night-market stall over its line'],
      ['马路市场', 'Street market', { d: 'big' }],
      ['占道洗车修车', 'Car washing or repair on the road'],
      ['违规占道促销', 'Promotion occupying the pavement'],
    ],
  },
  {
    code: '14.02', name: '停车与街面秩序', nameEn: 'Parking and street order', checklist: true, dept: 'traffic', skills: ['patrol'], d: 'small',
    items: [
      ['机动车乱停放', 'Car parked illegally'],
      ['非机动车乱停放', 'Bicycle or e-bike parked illegally', { dept: 'enforcement' }],
      ['共享单车乱停放', 'Shared bikes parked illegally', { dept: 'enforcement' }],
      ['僵尸车', 'Abandoned vehicle', { d: 'big' }],
      ['乞讨卖艺', 'Begging or busking', { dept: 'police' }],
      ['非法营运车辆', 'Illegal taxi', { dept: 'police', skills: ['enforcement'] }],
    ],
  },
  {
    code: '15.01', name: '突发事件', nameEn: 'Emergencies', checklist: true, dept: 'emergency', skills: ['patrol'], d: 'small', emergency: true,
    items: [
      ['井盖缺失或破损', 'Manhole cover missing or broken', { dept: 'utilities' }],
      ['路面塌陷', 'Road collapse', { dept: 'housing', d: 'hard' }],
      ['水管爆裂', 'Burst water main', { dept: 'water', d: 'big' }],
      ['道路积水', 'Waterlogged road', { dept: 'water', skills: ['patrol', 'roadCleaning'] }],
      ['火灾', 'Fire'],
      ['燃气泄漏', 'Gas leak', { dept: 'utilities' }],
      ['电线断落', 'Fallen power line', { dept: 'utilities' }],
      ['树木倒伏阻路', 'Fallen tree blocking the road', { dept: 'greening' }],
      ['户外设施坠落', 'Falling outdoor structure', { dept: 'enforcement' }],
    ],
  },
  {
    code: '15.02', name: '人员安全', nameEn: 'Staff safety', checklist: false, dept: 'sanitation', skills: ['patrol'], d: 'small', emergency: true,
    items: [['人员求助', 'Staff SOS', { alarms: ['staffSos'] }]],
  },
  {
    code: '16.01', name: '作业监管', nameEn: 'Work supervision', checklist: false, dept: 'sanitation', skills: ['patrol'], d: 'small',
    items: [
      ['作业车辆超速作业', 'Sanitation vehicle working too fast', { alarms: ['vehicleOverspeed'] }],
      ['作业车辆禁时段作业', 'Sanitation vehicle working in banned hours', { alarms: ['vehicleBannedHours'] }],
      ['人员越界', 'Staff outside the assigned grid', { alarms: ['staffOutOfGrid'] }],
      ['人员脱岗', 'Staff off post', { alarms: ['staffOffPost'] }],
      ['其他事件', 'Other event', { dept: 'enforcement', d: 'big' }],
    ],
  },
];

export function buildTaxonomy(): CaseTaxonomy {
  const subclasses: TaxonomySubclass[] = SUBCLASSES.map((s) => ({ code: s.code, classCode: s.code.slice(0, 2), name: s.name, nameEn: s.nameEn, roadChecklist: s.checklist }));
  const category = new Map(TAXONOMY_CLASSES.map((c) => [c.code, c.category]));
  const items: TaxonomyItem[] = SUBCLASSES.flatMap((s) => s.items.map(([name, nameEn, o = {}], i): TaxonomyItem => {
    const item: TaxonomyItem = {
      code: `${s.code}.${String(i + 1).padStart(3, '0')}`,
      name, nameEn,
      category: category.get(s.code.slice(0, 2))!,
      classCode: s.code.slice(0, 2),
      difficulty: o.d ?? s.d,
      deptCode: DEPT[o.dept ?? s.dept].code,
      emergency: Boolean(o.emergency ?? s.emergency),
      skills: o.skills ?? s.skills,
      roadChecklist: s.checklist,
    };
    if (o.alarms) item.alarmTypes = o.alarms;
    return item;
  }));
  return { classes: TAXONOMY_CLASSES, subclasses, items };
}
