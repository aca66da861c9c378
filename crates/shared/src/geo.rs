//! Great-circle distances and the `near=lat,lng` + `radius_km` filter shared
//! by the provider directory and the job list: a bounding box narrows the SQL
//! query, the exact distance decides.

use crate::error::ApiError;

/// Mean Earth radius in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;
/// The default search radius.
pub const DEFAULT_RADIUS_KM: f64 = 25.0;
/// The largest search radius (half the equator: everything).
pub const MAX_RADIUS_KM: f64 = 20_037.5;

/// A point on Earth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Latitude, -90..=90.
    pub lat: f64,
    /// Longitude, -180..=180.
    pub lng: f64,
}

impl Point {
    /// A point, or `None` when out of range or not finite.
    pub fn new(lat: f64, lng: f64) -> Option<Self> {
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng))
            .then_some(Self { lat, lng })
    }

    /// Parses `lat,lng` (plain decimals, as [`NEAR_PATTERN`] says); 422 on
    /// the `near` field otherwise.
    pub fn parse_near(raw: &str) -> Result<Self, ApiError> {
        let bad = || {
            ApiError::invalid_field(
                "near",
                "must be `lat,lng` with lat in -90..90 and lng in -180..180",
            )
        };
        let (lat, lng) = raw.split_once(',').ok_or_else(bad)?;
        if !is_plain_decimal(lat) || !is_plain_decimal(lng) {
            return Err(bad());
        }
        let lat: f64 = lat.parse().map_err(|_| bad())?;
        let lng: f64 = lng.parse().map_err(|_| bad())?;
        Self::new(lat, lng).ok_or_else(bad)
    }

    /// Great-circle distance in kilometres (haversine).
    pub fn distance_km(&self, other: &Point) -> f64 {
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = lat2 - lat1;
        let dlng = (other.lng - self.lng).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlng / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().clamp(0.0, 1.0).asin()
    }
}

/// The `near` parameter's format in the OpenAPI document: `lat,lng` as
/// plain decimals, latitude in -90..90 and longitude in -180..180.
pub const NEAR_PATTERN: &str = "^-?(?:90(?:\\.0+)?|[1-8]?[0-9](?:\\.[0-9]+)?),-?(?:180(?:\\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\\.[0-9]+)?)$";

/// `-`? digits, then `.` and digits: what [`NEAR_PATTERN`] allows for each
/// number (no exponent, no `+`, no spaces, no leading zeros beyond one).
fn is_plain_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole)
        && (whole.len() == 1 || !whole.starts_with('0'))
        && fraction.is_none_or(all_digits)
}

/// A validated `radius_km`: 422 unless in (0, 20037.5].
pub fn parse_radius(radius_km: Option<f64>) -> Result<f64, ApiError> {
    let radius = radius_km.unwrap_or(DEFAULT_RADIUS_KM);
    if radius.is_finite() && radius > 0.0 && radius <= MAX_RADIUS_KM {
        Ok(radius)
    } else {
        Err(ApiError::invalid_field(
            "radius_km",
            "must be greater than 0 and at most 20037.5",
        ))
    }
}

/// The `near` and `radius_km` query parameters together: both absent is
/// `None`; a radius without `near` filters nothing; either malformed is
/// 422.
pub fn parse_near_radius(
    near: Option<&str>,
    radius_km: Option<f64>,
) -> Result<Option<(Point, f64)>, ApiError> {
    let radius = parse_radius(radius_km)?;
    match near {
        Some(raw) => Ok(Some((Point::parse_near(raw)?, radius))),
        None => Ok(None),
    }
}

/// The SQL prefilter for a circle: a latitude band and, where the circle
/// does not reach a pole, one or two longitude ranges (two when it crosses
/// the antimeridian).
#[derive(Debug, Clone, PartialEq)]
pub struct BoundingBox {
    /// Lowest latitude.
    pub min_lat: f64,
    /// Highest latitude.
    pub max_lat: f64,
    /// Longitude ranges to accept; empty means every longitude.
    pub lng_ranges: Vec<(f64, f64)>,
}

impl BoundingBox {
    /// The box around a circle of `radius_km` about `center`.
    pub fn around(center: Point, radius_km: f64) -> Self {
        let dlat = (radius_km / EARTH_RADIUS_KM).to_degrees();
        let min_lat = center.lat - dlat;
        let max_lat = center.lat + dlat;
        if min_lat <= -90.0 || max_lat >= 90.0 {
            return Self {
                min_lat: min_lat.max(-90.0),
                max_lat: max_lat.min(90.0),
                lng_ranges: Vec::new(),
            };
        }
        let widest = min_lat.abs().max(max_lat.abs()).to_radians();
        let dlng = dlat / widest.cos();
        let lng_ranges = if dlng >= 180.0 {
            Vec::new()
        } else {
            let (west, east) = (center.lng - dlng, center.lng + dlng);
            if west < -180.0 {
                vec![(west + 360.0, 180.0), (-180.0, east)]
            } else if east > 180.0 {
                vec![(west, 180.0), (-180.0, east - 360.0)]
            } else {
                vec![(west, east)]
            }
        };
        Self {
            min_lat,
            max_lat,
            lng_ranges,
        }
    }

    /// Whether the box holds a point (for tests of the prefilter).
    pub fn contains(&self, p: Point) -> bool {
        p.lat >= self.min_lat
            && p.lat <= self.max_lat
            && (self.lng_ranges.is_empty()
                || self
                    .lng_ranges
                    .iter()
                    .any(|(w, e)| p.lng >= *w && p.lng <= *e))
    }
}

/// Rounds a coordinate to two decimals (about 1 km), for callers who may
/// not see the precise position.
pub fn coarse(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lng: f64) -> Point {
        Point::new(lat, lng).expect("in range")
    }

    #[test]
    fn distances_are_great_circle() {
        let paris = p(48.8566, 2.3522);
        let london = p(51.5074, -0.1278);
        let d = paris.distance_km(&london);
        assert!((d - 343.5).abs() < 2.0, "{d}");
        assert!(paris.distance_km(&paris).abs() < 1e-9);
    }

    #[test]
    fn the_antimeridian_is_crossed_both_ways() {
        let fiji_east = p(-17.7, 179.9);
        let fiji_west = p(-17.7, -179.9);
        assert!(fiji_east.distance_km(&fiji_west) < 25.0);
        let bbox = BoundingBox::around(fiji_east, 50.0);
        assert_eq!(bbox.lng_ranges.len(), 2);
        assert!(bbox.contains(fiji_west));
    }

    #[test]
    fn near_a_pole_every_longitude_counts() {
        let pole = p(89.9, 0.0);
        let other_side = p(89.9, 180.0);
        assert!(pole.distance_km(&other_side) < 25.0);
        let bbox = BoundingBox::around(pole, 50.0);
        assert!(bbox.lng_ranges.is_empty());
        assert!(bbox.contains(other_side));
    }

    #[test]
    fn the_box_never_excludes_a_point_inside_the_circle() {
        let centers = [p(0.0, 0.0), p(60.0, 179.0), p(-75.0, -179.5), p(45.0, 10.0)];
        for center in centers {
            for radius in [1.0, 50.0, 500.0, 3000.0] {
                let bbox = BoundingBox::around(center, radius);
                for i in 0..72 {
                    let bearing = f64::from(i) * 5.0_f64.to_radians();
                    let d = radius * 0.999 / EARTH_RADIUS_KM;
                    let lat1 = center.lat.to_radians();
                    let lng1 = center.lng.to_radians();
                    let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * bearing.cos()).asin();
                    let lng2 = lng1
                        + (bearing.sin() * d.sin() * lat1.cos())
                            .atan2(d.cos() - lat1.sin() * lat2.sin());
                    let mut lng = lng2.to_degrees();
                    if lng > 180.0 {
                        lng -= 360.0;
                    } else if lng < -180.0 {
                        lng += 360.0;
                    }
                    let q = p(lat2.to_degrees(), lng);
                    assert!(
                        bbox.contains(q),
                        "{center:?} r={radius}: {q:?} outside {bbox:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn near_and_radius_are_validated() {
        assert!(Point::parse_near("48.85,2.35").is_ok());
        for bad in [
            "", "48.85", "91,0", "0,181", "a,b", "NaN,0", "1e1,0", " 1,2", "01,2", "+1,2",
        ] {
            assert_eq!(
                Point::parse_near(bad).expect_err(bad).status().as_u16(),
                422
            );
        }
        assert!(parse_radius(None).is_ok());
        assert!(parse_near_radius(None, None).expect("absent").is_none());
        assert!(
            parse_near_radius(None, Some(5.0))
                .expect("a radius alone filters nothing")
                .is_none()
        );
        assert!(
            parse_near_radius(None, Some(0.0)).is_err(),
            "but is checked"
        );
        assert_eq!(
            parse_near_radius(Some("1,2"), None)
                .expect("valid")
                .map(|(_, r)| r),
            Some(DEFAULT_RADIUS_KM)
        );
        assert!(parse_radius(Some(0.0)).is_err());
        assert!(parse_radius(Some(-1.0)).is_err());
        assert!(parse_radius(Some(f64::INFINITY)).is_err());
    }
}
