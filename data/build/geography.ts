/**
 * Hand-authored, APPROXIMATE geography of Lixia (济南市历下区). Only the names and codes
 * are real; shapes and positions are drawn to resemble the district at city scale.
 */
import type { LonLat } from '../../shared/geojson.ts';
import type { RoadClass } from '../../shared/district.ts';

export const DISTRICT = {
  id: 'lixia',
  name: '历下区',
  nameEn: 'Lixia District',
  city: '济南市',
  cityEn: 'Jinan',
  adcode: '370102',
  center: [117.089, 36.651] as LonLat,
};

/** Clockwise from the north-west corner of the old city; extremes match the real extent. */
export const BOUNDARY: LonLat[] = [
  [117.0095, 36.6835], [117.015, 36.6858], [117.023, 36.6862], [117.032, 36.687], [117.04, 36.6895],
  [117.048, 36.6905], [117.058, 36.6912], [117.068, 36.693], [117.076, 36.6975], [117.085, 36.708],
  [117.093, 36.7035], [117.101, 36.696], [117.113, 36.6905], [117.126, 36.688], [117.136, 36.685],
  [117.145, 36.681], [117.154, 36.677], [117.163, 36.6715], [117.173, 36.664], [117.17, 36.6575],
  [117.16, 36.6555], [117.145, 36.6525], [117.138, 36.646], [117.131, 36.637], [117.124, 36.627],
  [117.116, 36.616], [117.109, 36.604], [117.104, 36.593], [117.095, 36.603], [117.085, 36.6095],
  [117.072, 36.6125], [117.059, 36.6135], [117.046, 36.615], [117.033, 36.617], [117.021, 36.6195],
  [117.012, 36.6235], [117.0065, 36.63], [117.004, 36.639], [117.0045, 36.648], [117.006, 36.656],
  [117.009, 36.661], [117.0085, 36.668], [117.01, 36.675],
];

export interface StreetSeed { code: string; nameEn: string; seed: LonLat; targetKm2: number }

/** Seeds near each street office's real area; target areas make the old city small. */
export const STREET_SEEDS: StreetSeed[] = [
  { code: '370102001', nameEn: 'Jiefanglu', seed: [117.041, 36.6645], targetKm2: 2.4 },
  { code: '370102002', nameEn: 'Qianfoshan', seed: [117.033, 36.633], targetKm2: 9.5 },
  { code: '370102003', nameEn: 'Baotuquan', seed: [117.0165, 36.6565], targetKm2: 2.8 },
  { code: '370102004', nameEn: 'Quanchenglu', seed: [117.0235, 36.6668], targetKm2: 1.7 },
  { code: '370102005', nameEn: 'Daminghu', seed: [117.024, 36.6785], targetKm2: 2.7 },
  { code: '370102006', nameEn: 'Dongguan', seed: [117.041, 36.679], targetKm2: 2.4 },
  { code: '370102007', nameEn: 'Wendong', seed: [117.056, 36.671], targetKm2: 3.2 },
  { code: '370102008', nameEn: 'Jianxin', seed: [117.049, 36.6505], targetKm2: 3.0 },
  { code: '370102009', nameEn: 'Dianliu', seed: [117.067, 36.662], targetKm2: 3.0 },
  { code: '370102010', nameEn: 'Yanshan', seed: [117.077, 36.646], targetKm2: 5.0 },
  { code: '370102011', nameEn: 'Yaojia', seed: [117.097, 36.675], targetKm2: 19.0 },
  { code: '370102012', nameEn: 'Longdong', seed: [117.093, 36.622], targetKm2: 28.0 },
  { code: '370102013', nameEn: 'Zhiyuan', seed: [117.14, 36.664], targetKm2: 17.0 },
];

/** A control line of the road lattice: E–W rows give lat(lon), N–S columns give lon(lat). */
export interface ControlLine { knots: [number, number][] }

/** E–W control rows, south to north (frame rows first and last). */
export const ROW_CONTROLS: ControlLine[] = [
  { knots: [[117.0, 36.59], [117.18, 36.59]] },
  // 旅游路
  { knots: [[117.0, 36.6345], [117.04, 36.6335], [117.06, 36.629], [117.08, 36.6255], [117.1, 36.6225], [117.12, 36.6205], [117.18, 36.619]] },
  // 经十路
  { knots: [[117.0, 36.658], [117.03, 36.657], [117.06, 36.6558], [117.09, 36.6555], [117.12, 36.6572], [117.18, 36.66]] },
  // 泉城路 / 解放路 / 解放东路
  { knots: [[117.0, 36.6655], [117.03, 36.666], [117.07, 36.6668], [117.18, 36.669]] },
  // 花园路 / 工业南路
  { knots: [[117.0, 36.683], [117.06, 36.6845], [117.1, 36.685], [117.18, 36.6845]] },
  { knots: [[117.0, 36.712], [117.18, 36.712]] },
];

/** N–S control columns, west to east (frame columns first and last). Knots are [lat, lon]. */
export const COLUMN_CONTROLS: ControlLine[] = [
  { knots: [[36.59, 116.998], [36.712, 116.998]] },
  // 马鞍山路
  { knots: [[36.59, 117.0068], [36.712, 117.0068]] },
  // 舜耕路 (north of 经十路: 趵突泉北路)
  { knots: [[36.59, 117.0178], [36.655, 117.016], [36.712, 117.016]] },
  // 历山路
  { knots: [[36.59, 117.04], [36.712, 117.0405]] },
  // 山大路
  { knots: [[36.59, 117.0545], [36.712, 117.0555]] },
  // 二环东路
  { knots: [[36.59, 117.068], [36.712, 117.07]] },
  // 奥体中路
  { knots: [[36.59, 117.1265], [36.712, 117.128]] },
  { knots: [[36.59, 117.18], [36.712, 117.18]] },
];

export const ROAD_SPACING_DEG = { lat: 0.0036, lon: 0.0045 };

/**
 * Named stretches of lattice lines. `at` is the position across the line (lat for a
 * row, lon for a column) near which the lattice line is chosen; `from`/`to` the extent along it.
 */
export interface NamedStretch { name: string; class: RoadClass; dir: 'ew' | 'ns'; at: number; from: number; to: number }

export const NAMED_ROADS: NamedStretch[] = [
  { name: '经十路', class: 'trunk', dir: 'ew', at: 36.657, from: 116.99, to: 117.19 },
  { name: '旅游路', class: 'primary', dir: 'ew', at: 36.626, from: 117.034, to: 117.19 },
  { name: '泉城路', class: 'primary', dir: 'ew', at: 36.666, from: 117.012, to: 117.0295 },
  { name: '解放路', class: 'primary', dir: 'ew', at: 36.6665, from: 117.0295, to: 117.0685 },
  { name: '解放东路', class: 'secondary', dir: 'ew', at: 36.667, from: 117.0685, to: 117.12 },
  { name: '花园路', class: 'primary', dir: 'ew', at: 36.684, from: 117.038, to: 117.092 },
  { name: '工业南路', class: 'primary', dir: 'ew', at: 36.685, from: 117.092, to: 117.19 },
  { name: '泺源大街', class: 'secondary', dir: 'ew', at: 36.6615, from: 117.0, to: 117.03 },
  { name: '文化东路', class: 'secondary', dir: 'ew', at: 36.661, from: 117.04, to: 117.078 },
  { name: '大明湖路', class: 'tertiary', dir: 'ew', at: 36.6705, from: 117.01, to: 117.04 },
  { name: '明湖北路', class: 'tertiary', dir: 'ew', at: 36.68, from: 117.01, to: 117.038 },
  { name: '和平路', class: 'secondary', dir: 'ew', at: 36.671, from: 117.04, to: 117.072 },
  { name: '东关大街', class: 'tertiary', dir: 'ew', at: 36.675, from: 117.03, to: 117.05 },
  { name: '龙奥北路', class: 'secondary', dir: 'ew', at: 36.6525, from: 117.1, to: 117.145 },
  { name: '龙奥南路', class: 'secondary', dir: 'ew', at: 36.6455, from: 117.1, to: 117.145 },
  { name: '华信路', class: 'tertiary', dir: 'ew', at: 36.6745, from: 117.088, to: 117.118 },
  { name: '千佛山东路', class: 'tertiary', dir: 'ew', at: 36.643, from: 117.04, to: 117.06 },
  { name: '窑头路', class: 'tertiary', dir: 'ew', at: 36.65, from: 117.06, to: 117.078 },
  { name: '经十东路辅路', class: 'tertiary', dir: 'ew', at: 36.6635, from: 117.14, to: 117.19 },
  { name: '马鞍山路', class: 'secondary', dir: 'ns', at: 117.0068, from: 36.628, to: 36.6585 },
  { name: '舜耕路', class: 'primary', dir: 'ns', at: 117.0165, from: 36.615, to: 36.6578 },
  { name: '趵突泉北路', class: 'tertiary', dir: 'ns', at: 117.016, from: 36.6578, to: 36.676 },
  { name: '千佛山路', class: 'secondary', dir: 'ns', at: 117.0295, from: 36.638, to: 36.6575 },
  { name: '黑虎泉北路', class: 'tertiary', dir: 'ns', at: 117.0295, from: 36.6575, to: 36.671 },
  { name: '历山路', class: 'primary', dir: 'ns', at: 117.0402, from: 36.64, to: 36.692 },
  { name: '山大路', class: 'primary', dir: 'ns', at: 117.055, from: 36.6565, to: 36.692 },
  { name: '山大南路', class: 'secondary', dir: 'ns', at: 117.0545, from: 36.63, to: 36.6565 },
  { name: '二环东路', class: 'trunk', dir: 'ns', at: 117.069, from: 36.59, to: 36.712 },
  { name: '燕子山路', class: 'tertiary', dir: 'ns', at: 117.081, from: 36.632, to: 36.667 },
  { name: '转山西路', class: 'tertiary', dir: 'ns', at: 117.09, from: 36.667, to: 36.69 },
  { name: '浆水泉路', class: 'secondary', dir: 'ns', at: 117.097, from: 36.6, to: 36.6565 },
  { name: '辛祝路', class: 'tertiary', dir: 'ns', at: 117.104, from: 36.667, to: 36.695 },
  { name: '凤山路', class: 'secondary', dir: 'ns', at: 117.109, from: 36.62, to: 36.667 },
  { name: '龙洞路', class: 'tertiary', dir: 'ns', at: 117.109, from: 36.59, to: 36.62 },
  { name: '奥体西路', class: 'secondary', dir: 'ns', at: 117.118, from: 36.645, to: 36.675 },
  { name: '奥体中路', class: 'primary', dir: 'ns', at: 117.127, from: 36.62, to: 36.692 },
  { name: '奥体东路', class: 'secondary', dir: 'ns', at: 117.137, from: 36.645, to: 36.675 },
  { name: '港西路', class: 'tertiary', dir: 'ns', at: 117.16, from: 36.645, to: 36.68 },
];

/** Plausible names for the remaining lattice stretches (real Lixia street names, placed freely). */
export const MINOR_ROAD_NAMES = [
  '佛山街', '朝山街', '南门大街', '正觉寺街', '新东门街', '青龙街', '后坡街', '十亩园东街', '历山东路',
  '山师东路', '甸柳庄路', '羊头峪西沟街', '东环路', '姚家东路', '荆山东路', '茂岭山路', '华能路', '闵子骞路',
  '燕子山西路', '千佛山西路', '山水沟街', '黑虎泉西路', '院前街', '省府前街', '西更道街', '东更道街',
  '芙蓉街', '曲水亭街', '明湖东路', '少年路', '小北门街', '宽厚所街', '舜井街', '历山顶街', '山大北路',
  '华龙路', '龙鼎大道', '开拓路', '颖秀路', '汉峪路', '龙奥西路', '龙奥东路', '姚家庄路', '燕文路',
  '文东街', '建新街', '甸柳一路', '甸柳二路', '燕山路', '燕翔路', '姚家西路', '解放东一路', '智远路',
  '龙洞南路', '龙岭路', '锦屏路', '佛慧山路', '浆水泉东路', '转山东路', '东舜路', '青年东路', '历黄路',
  '七里河路', '燕东路', '华阳路', '解放东二路', '王舍人路', '盛福路', '恒大路', '港兴路', '奥体北路',
  '大辛庄路', '幸福街', '富翔路', '和平北路', '山大东路', '经三路', '文苑街', '明德街', '泉景路', '千佛山南路',
];

export interface AreaSpec { name: string; nameEn?: string; ring: LonLat[] }
export interface PathSpec { name: string; nameEn?: string; path: LonLat[]; widthM: number }

export const WATER: AreaSpec[] = [
  {
    name: '大明湖', nameEn: 'Daming Lake',
    ring: [[117.0185, 36.6728], [117.0215, 36.672], [117.0255, 36.6722], [117.0285, 36.6725], [117.0298, 36.674],
      [117.0296, 36.6765], [117.0278, 36.6785], [117.0245, 36.6789], [117.0212, 36.6786], [117.0188, 36.6772],
      [117.018, 36.6752]],
  },
];

/** Thin polygons built by buffering a centre line. */
export const WATER_PATHS: PathSpec[] = [
  {
    name: '护城河', nameEn: 'City Moat', widthM: 25,
    path: [[117.0175, 36.6735], [117.0128, 36.6712], [117.0118, 36.6668], [117.0125, 36.6622], [117.02, 36.6612],
      [117.028, 36.6612], [117.0325, 36.6622], [117.0338, 36.6665], [117.0334, 36.6715], [117.0305, 36.6745]],
  },
];

export const PARKS: AreaSpec[] = [
  { name: '千佛山风景区', nameEn: 'Qianfo Mountain', ring: [[117.025, 36.6345], [117.0335, 36.632], [117.04, 36.6345], [117.0405, 36.6405], [117.036, 36.645], [117.0285, 36.6445], [117.025, 36.6405]] },
  { name: '佛慧山', nameEn: 'Fohui Mountain', ring: [[117.043, 36.6185], [117.052, 36.617], [117.058, 36.6215], [117.055, 36.627], [117.046, 36.6275], [117.0415, 36.6235]] },
  { name: '泉城公园', nameEn: 'Quancheng Park', ring: [[117.0415, 36.6455], [117.0475, 36.6452], [117.048, 36.6505], [117.042, 36.651]] },
  { name: '趵突泉公园', nameEn: 'Baotu Spring Park', ring: [[117.0128, 36.6615], [117.0165, 36.6613], [117.0168, 36.6642], [117.013, 36.6645]] },
  { name: '泉城广场', nameEn: 'Quancheng Square', ring: [[117.0175, 36.6615], [117.0245, 36.6614], [117.0246, 36.6638], [117.0176, 36.6639]] },
  { name: '大明湖风景区', nameEn: 'Daming Lake Scenic Area', ring: [[117.0172, 36.6722], [117.0215, 36.6712], [117.029, 36.6716], [117.0306, 36.674], [117.0302, 36.6772], [117.028, 36.6795], [117.0208, 36.6796], [117.0178, 36.6778], [117.0168, 36.675]] },
  { name: '燕子山公园', nameEn: 'Yanzi Mountain Park', ring: [[117.0745, 36.6395], [117.08, 36.638], [117.0845, 36.6415], [117.0825, 36.646], [117.0765, 36.6462]] },
  { name: '奥体中心绿地', nameEn: 'Olympic Sports Center Green', ring: [[117.1215, 36.6595], [117.1345, 36.6598], [117.1348, 36.6655], [117.1215, 36.6652]] },
  { name: '龙洞风景区', nameEn: 'Longdong Scenic Area', ring: [[117.1, 36.6015], [117.108, 36.6025], [117.1125, 36.609], [117.107, 36.6145], [117.0985, 36.612], [117.0965, 36.6065]] },
  { name: '历下儿童公园', nameEn: 'Lixia Children\'s Park', ring: [[117.0595, 36.6585], [117.0635, 36.6585], [117.0635, 36.661], [117.0595, 36.661]] },
];

/** 环城公园: the green belt along the moat. */
export const PARK_PATHS: PathSpec[] = [
  { name: '环城公园', nameEn: 'Moat Ring Park', widthM: 70, path: WATER_PATHS[0]!.path },
];

export interface LandmarkSpec { name: string; nameEn: string; category: string; at: LonLat }

export const LANDMARKS: LandmarkSpec[] = [
  { name: '大明湖', nameEn: 'Daming Lake', category: 'scenic', at: [117.024, 36.6758] },
  { name: '千佛山', nameEn: 'Qianfo Mountain', category: 'scenic', at: [117.0325, 36.6385] },
  { name: '趵突泉', nameEn: 'Baotu Spring', category: 'scenic', at: [117.0148, 36.6628] },
  { name: '黑虎泉', nameEn: 'Black Tiger Spring', category: 'scenic', at: [117.0285, 36.6618] },
  { name: '泉城广场', nameEn: 'Quancheng Square', category: 'square', at: [117.021, 36.6627] },
  { name: '芙蓉街', nameEn: 'Furong Street', category: 'heritage', at: [117.0208, 36.6688] },
  { name: '解放阁', nameEn: 'Liberation Pavilion', category: 'heritage', at: [117.0318, 36.6642] },
  { name: '山东大学（中心校区）', nameEn: 'Shandong University (Central Campus)', category: 'education', at: [117.0565, 36.6745] },
  { name: '济南奥体中心', nameEn: 'Jinan Olympic Sports Center', category: 'venue', at: [117.128, 36.6625] },
  { name: '龙奥大厦', nameEn: 'Long\'ao Building (city government)', category: 'government', at: [117.1185, 36.6495] },
  { name: '历下区人民政府', nameEn: 'Lixia District Government', category: 'government', at: [117.0775, 36.6655] },
  { name: '佛慧山', nameEn: 'Fohui Mountain', category: 'scenic', at: [117.0498, 36.6222] },
  { name: '龙洞风景区', nameEn: 'Longdong Scenic Area', category: 'scenic', at: [117.1045, 36.6075] },
  { name: '燕子山', nameEn: 'Yanzi Mountain', category: 'scenic', at: [117.0795, 36.642] },
  { name: '汉峪金谷', nameEn: 'Hanyu Golden Valley', category: 'business', at: [117.1585, 36.6595] },
  { name: '泉城公园', nameEn: 'Quancheng Park', category: 'park', at: [117.0448, 36.648] },
];

/** 消纳场 — disposal fields at the edge of the district; construction sites inside it. */
export const DISPOSAL_FIELDS: LandmarkSpec[] = [
  { name: '龙洞建筑垃圾消纳场', nameEn: 'Longdong disposal field', category: 'disposal', at: [117.1065, 36.5975] },
  { name: '港西路消纳场', nameEn: 'Gangxi Road disposal field', category: 'disposal', at: [117.1685, 36.6605] },
  { name: '工业南路消纳场', nameEn: 'Gongye South Road disposal field', category: 'disposal', at: [117.0855, 36.7045] },
  { name: '旅游路东消纳场', nameEn: 'Lvyou Road East disposal field', category: 'disposal', at: [117.1225, 36.6255] },
];

export const CONSTRUCTION_SITE_NAMES = [
  '汉峪片区安置房工地', '奥体西路综合体工地', '龙奥北路地铁站工地', '姚家片区旧改工地', '燕山立交改造工地',
  '文化东路管网工程', '花园路拓宽工程', '山大路地下通道工地', '浆水泉路棚改工地', '旅游路边坡治理工程',
  '辛祝路商住项目', '解放东路学校扩建', '工业南路产业园工地', '甸柳庄片区改造', '千佛山东路停车楼工地',
  '转山西路安置区工地', '智远片区医院工地', '龙洞片区道路工程', '东关大街更新工地', '历山路管线迁改',
];

export const MUCK_COMPANIES = [
  '济南泉通渣土运输有限公司', '济南历城顺达运输有限公司', '山东鲁畅建筑垃圾清运有限公司', '济南城建运输集团有限公司',
  '济南华宇物流运输有限公司', '济南东岳渣土清运有限公司', '济南恒信运输有限公司', '山东齐鲁绿色运输有限公司',
];

/** 环卫车辆停车场 — depots. */
export const DEPOTS: LonLat[] = [
  [117.0265, 36.6545], [117.0605, 36.6795], [117.0875, 36.6585], [117.1145, 36.6725], [117.1475, 36.6615], [117.0915, 36.6275],
];

/** The old city and the central streets get more, better toilets (class I/II). */
export const CENTRAL_STREETS = new Set(['370102001', '370102003', '370102004', '370102005', '370102006', '370102007']);
